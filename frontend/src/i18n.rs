//! The interface texts, Dutch first (the method's language) with a complete English translation.

/// A UI language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Nl,
    En,
}

impl Lang {
    pub fn from_code(code: &str) -> Lang {
        if code == "en" { Lang::En } else { Lang::Nl }
    }
}

/// Every text the interface shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Text {
    Tagline,
    NewWorkshop,
    Title,
    Language,
    Create,
    JoinWithCode,
    JoinCode,
    Next,
    Name,
    Organisation,
    Join,
    Participants,
    Online,
    Offline,
    NobodyYet,
    JoinLink,
    Connecting,
    OfflineBanner,
    Welcome,
    WaitForStart,
    LinkSecret,
    NotFound,
    Back,
}

pub fn t(lang: Lang, text: Text) -> &'static str {
    use Text::*;
    match (lang, text) {
        (Lang::Nl, Tagline) => {
            "Samen werken aan gedeelde verantwoordelijkheid: individueel, collegiaal, collectief."
        }
        (Lang::En, Tagline) => {
            "Working together on shared responsibility: individual, collegial, collective."
        }
        (Lang::Nl, NewWorkshop) => "Nieuwe workshop",
        (Lang::En, NewWorkshop) => "New workshop",
        (Lang::Nl, Title) => "Titel",
        (Lang::En, Title) => "Title",
        (Lang::Nl, Language) => "Taal",
        (Lang::En, Language) => "Language",
        (Lang::Nl, Create) => "Workshop aanmaken",
        (Lang::En, Create) => "Create workshop",
        (Lang::Nl, JoinWithCode) => "Deelnemen met een code",
        (Lang::En, JoinWithCode) => "Join with a code",
        (Lang::Nl, JoinCode) => "Deelnamecode",
        (Lang::En, JoinCode) => "Join code",
        (Lang::Nl, Next) => "Verder",
        (Lang::En, Next) => "Continue",
        (Lang::Nl, Name) => "Naam",
        (Lang::En, Name) => "Name",
        (Lang::Nl, Organisation) => "Organisatie",
        (Lang::En, Organisation) => "Organisation",
        (Lang::Nl, Join) => "Deelnemen",
        (Lang::En, Join) => "Join",
        (Lang::Nl, Participants) => "Deelnemers",
        (Lang::En, Participants) => "Participants",
        (Lang::Nl, Online) => "online",
        (Lang::En, Online) => "online",
        (Lang::Nl, Offline) => "offline",
        (Lang::En, Offline) => "offline",
        (Lang::Nl, NobodyYet) => "Nog niemand. Deel de code of de link.",
        (Lang::En, NobodyYet) => "Nobody yet. Share the code or the link.",
        (Lang::Nl, JoinLink) => "Link om deel te nemen",
        (Lang::En, JoinLink) => "Link to join",
        (Lang::Nl, Connecting) => "Verbinden…",
        (Lang::En, Connecting) => "Connecting…",
        (Lang::Nl, OfflineBanner) => {
            "Geen verbinding — we proberen opnieuw. Je werk blijft bewaard."
        }
        (Lang::En, OfflineBanner) => "No connection — retrying. Your work is kept.",
        (Lang::Nl, Welcome) => "Welkom",
        (Lang::En, Welcome) => "Welcome",
        (Lang::Nl, WaitForStart) => "De begeleider start zo dadelijk de eerste stap.",
        (Lang::En, WaitForStart) => "The facilitator will start the first step shortly.",
        (Lang::Nl, LinkSecret) => {
            "Bewaar de link van deze pagina: daarmee open je de console op elk toestel. Deel hem niet."
        }
        (Lang::En, LinkSecret) => {
            "Keep this page's link: it reopens the console on any device. Do not share it."
        }
        (Lang::Nl, NotFound) => "Deze pagina bestaat niet.",
        (Lang::En, NotFound) => "This page does not exist.",
        (Lang::Nl, Back) => "Naar het begin",
        (Lang::En, Back) => "Back to start",
    }
}
