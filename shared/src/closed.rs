//! Closed sets of values that documents store as strings (a note's mark, a card's kind, a role):
//! the [`closed_set!`](crate::closed_set) macro that turns one list of `Variant => "string"` pairs
//! into an enum with `ALL`, `NAMES`, `as_str`, `parse`, `FromStr`, `Display` and serde, and the
//! error `FromStr` gives for a string outside the set.
//!
//! Why a macro: the string of each variant is written once, so the string a document holds, the
//! one serde writes into JSON and the one `parse` accepts cannot drift apart. The schema checks
//! still refuse unknown strings themselves (with `NAMES`), so their error messages stay as they
//! were; the enums are what the typed views and the code across crates see.

/// A string that is not one of a closed set's values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{value}` is not one of {expected}")]
pub struct UnknownValue {
    pub value: String,
    /// The allowed values, comma-separated.
    pub expected: String,
}

/// Declares a closed set: `closed_set! { /// doc  pub enum Mark { /// doc  None => "none", … } }`.
///
/// The variants' order is their order in `ALL` and their `Ord`.
#[macro_export]
macro_rules! closed_set {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident => $s:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize,
        )]
        $vis enum $name {
            $( $(#[$vmeta])* #[serde(rename = $s)] $variant ),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: [$name; [$($s),+].len()] = [$($name::$variant),+];
            /// Every value's string, in the order of `ALL` (what schema checks accept).
            pub const NAMES: [&'static str; [$($s),+].len()] = [$($s),+];

            /// The string stored in documents.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => $s ),+
                }
            }

            /// The value a document's string names, if it is one of the set.
            pub fn parse(s: &str) -> Option<$name> {
                match s {
                    $( $s => Some($name::$variant), )+
                    _ => None,
                }
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::closed::UnknownValue;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $name::parse(s).ok_or_else(|| $crate::closed::UnknownValue {
                    value: s.to_owned(),
                    expected: $name::NAMES.join(", "),
                })
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::UnknownValue;

    crate::closed_set! {
        /// A set only this test uses.
        enum Shade {
            Light => "light",
            /// With a doc comment on a variant.
            DarkGrey => "dark_grey",
        }
    }

    #[test]
    fn a_closed_set_round_trips_through_str_serde_and_from_str_and_refuses_the_rest() {
        for s in Shade::ALL {
            assert_eq!(Shade::parse(s.as_str()), Some(s));
            assert_eq!(s.to_string().parse::<Shade>(), Ok(s));
            let json = serde_json::to_string(&s).unwrap();
            assert_eq!(json, format!("\"{}\"", s.as_str()));
            assert_eq!(serde_json::from_str::<Shade>(&json).unwrap(), s);
        }
        assert_eq!(Shade::NAMES, ["light", "dark_grey"]);
        assert_eq!(Shade::parse("Light"), None);
        assert_eq!(
            "dusk".parse::<Shade>(),
            Err(UnknownValue {
                value: "dusk".into(),
                expected: "light, dark_grey".into(),
            })
        );
        assert!(serde_json::from_str::<Shade>("\"dusk\"").is_err());
    }

    /// Every variant: `as_str` → `parse` and `FromStr` give it back, serde writes the same
    /// string; a string outside the set (also a near miss in case) is refused.
    fn check<T>(all: &[T], names: &[&str], unknown: &str)
    where
        T: Copy
            + PartialEq
            + std::fmt::Debug
            + std::fmt::Display
            + std::str::FromStr<Err = UnknownValue>
            + serde::Serialize
            + serde::de::DeserializeOwned,
    {
        assert_eq!(all.len(), names.len());
        for (v, name) in all.iter().zip(names) {
            assert_eq!(v.to_string(), *name);
            assert_eq!(name.parse::<T>(), Ok(*v));
            assert_eq!(serde_json::to_string(v).unwrap(), format!("\"{name}\""));
            assert_eq!(
                serde_json::from_str::<T>(&format!("\"{name}\"")).unwrap(),
                *v
            );
            assert!(name.to_uppercase().parse::<T>().is_err(), "{name}");
        }
        assert!(unknown.parse::<T>().is_err(), "{unknown}");
        assert!(serde_json::from_str::<T>(&format!("\"{unknown}\"")).is_err());
    }

    #[test]
    fn every_closed_set_in_the_documents_round_trips_and_refuses_unknown_strings() {
        use crate::forms::blocks::BlockId;
        use crate::forms::roles::{Claim, Perspective, RoleId};
        use crate::method::LevelId;
        use crate::schema::reflection::Mark;
        use crate::schema::table::Labels;
        use crate::schema::voice::CardKind;

        check(
            &LevelId::ALL,
            &["individual", "collegial", "collective"],
            "cosmic",
        );
        check(&Mark::ALL, &["none", "green", "red"], "blue");
        check(&CardKind::ALL, &["needed", "chance", "question"], "insight");
        check(
            &Labels::ALL,
            &["names", "organisations", "anonymous"],
            "everything",
        );
        check(&Claim::ALL, &["hold_now", "want"], "maybe");
        check(
            &Perspective::ALL,
            &["organisation", "individual", "network"],
            "family",
        );
        check(
            &BlockId::ALL,
            &[
                "knowing",
                "understanding",
                "appreciating",
                "trusting",
                "collaborating",
                "realising_goals",
            ],
            "realising goals",
        );
        check(
            &RoleId::ALL,
            &[
                "initiator",
                "driver",
                "leader",
                "innovator",
                "diplomat",
                "mood_maker",
                "spokesperson",
                "doer",
                "adviser",
                "fundraiser",
                "results_guardian",
                "negotiator",
                "support_builder",
                "critic",
                "supporter",
            ],
            "king",
        );
    }
}
