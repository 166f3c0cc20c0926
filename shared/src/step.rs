//! The steps a workshop moves through, as the facilitator steers it.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Lobby → step 1 (reflect) → step 2 (duos) → step 3 (plenary) → closed; going back is allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    Lobby,
    Reflect,
    Duos,
    Plenary,
    Closed,
}

impl Step {
    pub const ALL: [Step; 5] = [
        Step::Lobby,
        Step::Reflect,
        Step::Duos,
        Step::Plenary,
        Step::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Step::Lobby => "lobby",
            Step::Reflect => "reflect",
            Step::Duos => "duos",
            Step::Plenary => "plenary",
            Step::Closed => "closed",
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string that names no step.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown step `{0}`")]
pub struct UnknownStep(pub String);

impl FromStr for Step {
    type Err = UnknownStep;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Step::ALL
            .into_iter()
            .find(|step| step.as_str() == s)
            .ok_or_else(|| UnknownStep(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_round_trip_through_their_names() {
        for step in Step::ALL {
            assert_eq!(step.as_str().parse::<Step>(), Ok(step));
        }
        assert_eq!("step9".parse::<Step>(), Err(UnknownStep("step9".into())));
    }
}
