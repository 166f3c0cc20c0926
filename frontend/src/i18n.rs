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

/// Every text the interface shows, with its Dutch and English form.
macro_rules! texts {
    ($($name:ident => $nl:literal, $en:literal;)*) => {
        /// Every text the interface shows.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Text { $($name),* }

        pub fn t(lang: Lang, text: Text) -> &'static str {
            match (lang, text) {
                $((Lang::Nl, Text::$name) => $nl, (Lang::En, Text::$name) => $en,)*
            }
        }
    };
}

texts! {
    Tagline => "Werkvormen voor professionals uit verschillende organisaties die samen aan hun samenwerking werken.", "Work forms for professionals from different organisations who work on their collaboration together.";
    NewWorkshop => "Nieuwe workshop", "New workshop";
    Title => "Titel", "Title";
    Language => "Taal", "Language";
    Create => "Workshop aanmaken", "Create workshop";
    JoinWithCode => "Deelnemen met een code", "Join with a code";
    JoinCode => "Deelnamecode", "Join code";
    Next => "Verder", "Continue";
    Name => "Naam", "Name";
    Organisation => "Organisatie", "Organisation";
    Join => "Deelnemen", "Join";
    Participants => "Deelnemers", "Participants";
    Online => "online", "online";
    Offline => "offline", "offline";
    NobodyYet => "Nog niemand. Deel de code of de link.", "Nobody yet. Share the code or the link.";
    JoinLink => "Link om deel te nemen", "Link to join";
    Connecting => "Verbinden…", "Connecting…";
    OfflineBanner => "Geen verbinding — we proberen opnieuw. Je werk blijft bewaard.", "No connection — retrying. Your work is kept.";
    Welcome => "Welkom", "Welcome";
    WaitForStart => "De begeleider start zo dadelijk de eerste stap.", "The facilitator will start the first step shortly.";
    ReachLan => "Je opende Kring op deze computer zelf (localhost). Telefoons kunnen dat adres niet openen; de link en de QR-code gebruiken daarom het netwerkadres van deze computer.", "You opened Kring on this computer itself (localhost). Phones cannot open that address, so the link and the QR code use this computer's network address.";
    ReachLoopbackOnly => "Kring luistert alleen op deze computer: telefoons kunnen deze link niet openen. Start Kring met --listen 0.0.0.0:8080 (of met --public-url) om de groep te laten deelnemen.", "Kring listens on this computer only: phones cannot open this link. Start Kring with --listen 0.0.0.0:8080 (or with --public-url) to let the group join.";
    ReachOthers => "Andere adressen van deze computer", "Other addresses of this computer";
    LinkSecret => "Bewaar de link van deze pagina: daarmee open je de console op elk toestel. Deel hem niet.", "Keep this page's link: it reopens the console on any device. Do not share it.";
    NotFound => "Deze pagina bestaat niet.", "This page does not exist.";
    Back => "Naar het begin", "Back to start";
    Steps => "Stappen", "Steps";
    Lobby => "Onthaal", "Lobby";
    Closed => "Afgesloten", "Closed";
    Timer => "Timer", "Timer";
    Start => "Start", "Start";
    Pause => "Pauze", "Pause";
    Resume => "Hervat", "Resume";
    PlusOne => "+1 min", "+1 min";
    PlusFive => "+5 min", "+5 min";
    Reset => "Reset", "Reset";
    TimeUp => "De tijd is om.", "Time is up.";
    TimeLeft => "Resterende tijd", "Time left";
    Message => "Bericht aan iedereen", "Message to everyone";
    Send => "Versturen", "Send";
    Lock => "Console vergrendelen", "Lock the console";
    Unlock => "Console ontgrendelen", "Unlock the console";
    LockedByOther => "Een andere begeleider heeft de console vergrendeld.", "Another facilitator has locked the console.";
    LockedByMe => "Jij stuurt: de console is vergrendeld voor andere begeleiders.", "You steer: the console is locked for other facilitators.";
    Links => "Links", "Links";
    ScreenLink => "Schermlink (projector)", "Screen link (projector)";
    CoFacilitatorLink => "Link voor een co-begeleider", "Link for a co-facilitator";
    MakeLink => "Maak link", "Make link";
    QrJoin => "QR-code om deel te nemen", "QR code to join";
    Setup => "Voorbereiding", "Set-up";
    ChooseQuestions => "Kies 2 vragen per niveau (1 tot 3 kan).", "Choose 2 questions per level (1 to 3 is fine).";
    OwnQuestion => "Eigen vraag", "Own question";
    Add => "Toevoegen", "Add";
    Durations => "Tijden (minuten)", "Durations (minutes)";
    DurReflect => "Stap 1: individuele reflectie", "Step 1: individual reflection";
    DurDuos => "Stap 2: duo's", "Step 2: duos";
    DurPlenary => "Stap 3: plenair", "Step 3: plenary";
    DurTurn => "Spreektijd per persoon in een duo", "Speaking time per person in a duo";
    DurJoint => "Gezamenlijke reflectie in een duo", "Joint reflection in a duo";
    Extras => "Extra vragen", "Extra questions";
    ExtraMarks => "Ronde 1: groen (ideaal) en rood (spanning) aanduiden", "Round 1: mark green (ideal) and red (tension)";
    ExtraSmallChange => "Ronde 3: één kleine verandering in je eigen handelen", "Round 3: one small change in your own actions";
    EditMe => "Naam of organisatie aanpassen", "Change name or organisation";
    Save => "Opslaan", "Save";
    Saved => "Opgeslagen.", "Saved.";
    ThankYou => "De workshop is afgesloten. Bedankt!", "The workshop is closed. Thank you!";
    Refused => "Niet gelukt", "Did not work";
    BoardLabel => "Drie cirkels: individueel (binnen), collegiaal, collectief (buiten). Klik in een ring om er een notitie toe te voegen.", "Three circles: individual (inner), collegial, collective (outer). Click in a ring to add a note there.";
    NewNoteIn => "Nieuwe notitie in", "New note in";
    NoteField => "Notitie", "Note";
    EmptyNote => "lege notitie", "empty note";
    Ring => "Ring", "Ring";
    Question => "Bij vraag", "For question";
    Mark => "Aanduiding", "Mark";
    MarkNone => "geen", "none";
    MarkGreen => "groen: ideaal", "green: ideal";
    MarkRed => "rood: spanning", "red: tension";
    Delete => "Verwijderen", "Delete";
    NoteDeleted => "Notitie verwijderd.", "Note deleted.";
    Undo => "Ongedaan maken", "Undo";
    MovedOn => "De begeleider is doorgegaan naar stap 2. Je notities blijven hier.", "The facilitator has moved on to step 2. Your notes stay here.";
    OfflineKept => "Offline — je notities worden bewaard.", "Offline — your notes are kept.";
    Progress => "Voortgang", "Progress";
    YourDuo => "Jouw duo", "Your duo";
    NoDuoYet => "De begeleider stelt de duo's samen…", "The facilitator is forming the duos…";
    PartnerSheet => "Cirkels van", "Circles of";
    MySheet => "Mijn cirkels", "My circles";
    CallLink => "Link van jullie gesprek (voor wie op afstand is)", "Link to your call (for remote duos)";
    OpenCall => "Open het gesprek", "Open the call";
    Turns => "Spreektijd", "Speaking time";
    Speaking => "Aan het woord", "Speaking";
    Together => "Samen reflecteren", "Reflecting together";
    TurnsDone => "De tijd voor jullie gesprek is om.", "Your conversation time is over.";
    NotStarted => "Start wanneer jullie klaar zijn.", "Start when you are ready.";
    NextTurn => "Volgende beurt", "Next turn";
    Prompts => "Om samen te bespreken", "To discuss together";
    PromptDifferences => "Welke verschillen zien jullie tussen jullie contexten?", "Which differences do you see between your contexts?";
    PromptTakeAway => "Wat kunnen jullie van elkaar meenemen?", "What can you take from each other?";
    PromptEnergy => "Waar krijg je energie van, of wat zou je energie geven?", "Where do you get energy, or what would give you energy?";
    Insights => "Kerninzichten", "Key insights";
    NewInsight => "Nieuw kerninzicht", "New key insight";
    InsightField => "Kerninzicht", "Key insight";
    Level => "Niveau", "Level";
    Block => "Bouwsteen", "Building block";
    DuoBlocksPrompt => "Wat zie je gebeuren bij de zwakste bouwstenen, en wat zou helpen? Leg elk inzicht vast bij een bouwsteen.", "What do you see happening in the weakest building blocks, and what would help? Tie each insight to a building block.";
    SuggestedTopics => "Voorgestelde onderwerpen, de zwakste bouwstenen:", "Suggested topics, the weakest building blocks:";
    DuoBlocksOptional => "Duo's zijn hier een keuze: vorm ze als de groep in tweetallen verder wil praten over de zwakste bouwstenen.", "Duos are optional here: form them if the group wants to talk on in pairs about the weakest building blocks.";
    FromTheDuos => "Uit de duo's", "From the duos";
    ShareThis => "Dit delen we in de plenaire ronde", "We share this in the plenary round";
    Duos => "Duo's", "Duos";
    ProposeDuos => "Duo's voorstellen", "Propose duos";
    Reshuffle => "Opnieuw mengen", "Reshuffle";
    NotInDuo => "Nog niet ingedeeld", "Not in a duo yet";
    AddTo => "Voeg toe aan", "Add to";
    MoveTo => "Verplaats naar", "Move to";
    Duo => "Duo", "Duo";
    SameOrg => "zelfde organisatie", "same organisation";
    OneMinute => "Nog 1 minuut", "1 minute left";
    SendOneMinute => "Stuur \"nog 1 minuut\" naar alle duo's", "Send \"1 minute left\" to all duos";
    LookInto => "Bekijk", "Look into";
    Picked => "gekozen om te delen", "picked to share";
    NotPicked => "nog geen inzicht gekozen", "no insight picked yet";
    Remove => "Weghalen", "Remove";
    NeededShort => "Nodig", "Needed";
    ChanceShort => "Kans", "Chance";
    SharedInRound => "gedeeld in de ronde", "shared in the round";
    HeldBy => "Vastgehouden door", "Held by";
    MoveCardTo => "Verplaats kaart naar", "Move card to";
    OnTheTable => "Op tafel (nog niet geclusterd)", "On the table (not clustered yet)";
    StackOn => "Stapel op…", "Stack on…";
    TheTable => "De tafel", "The table";
    SortByLevel => "Sorteer op niveau", "Sort by level tag";
    CardsShow => "Kaarten tonen", "Cards show";
    LabelOrganisations => "organisaties", "organisations";
    LabelNames => "namen", "names";
    LabelAnonymous => "niets (anoniem)", "nothing (anonymous)";
    OwnClusters => "Eigen clusters", "Own clusters";
    ClusterName => "Naam van de cluster", "Cluster name";
    Colour => "Kleur", "Colour";
    NewCluster => "Nieuwe cluster", "New cluster";
    AddCluster => "Cluster toevoegen", "Add cluster";
    Round => "Rondje", "Round";
    DuosLower => "duo's", "duos";
    NoReactions => "Tijdens het rondje reageert niemand: luister.", "Nobody reacts during the round: listen.";
    StartRound => "Start het rondje", "Start the round";
    PreviousDuo => "Vorig duo", "Previous duo";
    NextDuo => "Volgend duo", "Next duo";
    EndRound => "Rondje afsluiten", "End the round";
    QuestionsForDuos => "Vragen aan duo's", "Questions for duos";
    SmallChanges => "Kleine veranderingen", "Small changes";
    RemoveDot => "Haal een energiebol weg bij", "Remove an energy dot from";
    PlaceDot => "Leg een energiebol bij", "Place an energy dot on";
    YourVoice => "Jouw inbreng", "Your contribution";
    DotsLeft => "Energiebollen over", "Energy dots left";
    ForDuo => "Voor welk duo?", "For which duo?";
    YourQuestion => "Je vraag", "Your question";
    SmallChange => "Mijn kleine verandering", "My small change";
    EnergyDots => "Energiebollen per persoon", "Energy dots per person";
    FacilitatorShort => "Begeleider", "Facilitator";
    // The report page (report.rs).
    Report => "Verslag", "Report";
    ReportLoading => "Het verslag wordt opgehaald…", "Fetching the report…";
    ReportPrint => "Afdrukken / PDF", "Print / PDF";
    ReportDownloads => "Downloaden", "Download";
    ReportNames => "Namen tonen", "Show names";
    ReportShare => "Delen met deelnemers", "Share with participants";
    ReportPicture => "De flap", "The flip chart";
    ReportBack => "Terug naar de console", "Back to the console";
    ReportDelete => "Workshop definitief verwijderen", "Delete the workshop for good";
    ReportDeleteConfirm => "Alles van deze workshop wordt definitief verwijderd: notities, duo's, de flap, alle links. Doorgaan?", "Everything of this workshop is deleted for good: notes, duos, the flip chart, every link. Continue?";
    ReportDeleted => "De workshop is verwijderd.", "The workshop has been deleted.";
    Forms => "Werkvormen", "Work forms";
    FormsIntro => "Kies de werkvorm die past bij de vraag van de groep.", "Pick the work form that fits the group's question.";
    Form => "Werkvorm", "Work form";
    ChooseForm => "Kies", "Choose";
    LeavesWith => "De groep gaat naar huis met", "The group leaves with";
    Minutes => "min", "min";
    FormPlan => "Het plan van deze werkvorm", "This work form's plan";
    KMin => "Minimum aantal antwoorden voor het groepsprofiel (k)", "Least answers before the group profile shows (k)";
    KExplain => "Het profiel verschijnt pas als minstens zoveel mensen geantwoord hebben; de server houdt kleinere groepen achter.", "The profile appears only once at least this many people answered; the server withholds smaller groups.";
    DotsPerPerson => "Stippen per persoon", "Dots per person";
    YourRatings => "Jouw zelftest", "Your self-test";
    RatingsPrivate => "Alleen jij ziet je scores en opmerkingen. De groep ziet enkel het geheel, en pas vanaf", "Only you see your ratings and notes. The group sees only the whole, and only from";
    Answers => "antwoorden", "answers";
    Score => "Score", "Rating";
    ScaleLow => "1 = helemaal niet", "1 = not at all";
    ScaleHigh => "5 = helemaal", "5 = fully";
    NoteOptional => "Opmerking (optioneel)", "Note (optional)";
    Context => "Context en randvoorwaarden", "Context and preconditions";
    Rated => "bouwstenen gescoord", "building blocks rated";
    ProfileHeading => "Groepsprofiel", "Group profile";
    ProfileWaiting => "Het groepsprofiel verschijnt zodra genoeg mensen geantwoord hebben: minstens", "The group profile appears once enough people have answered: at least";
    ActionsHeading => "Acties per bouwsteen", "Actions per building block";
    ActionFor => "Actie voor", "Action for";
    AddAction => "Actie toevoegen", "Add action";
    DotOn => "Stip op", "Dot on";
    DotOff => "Stip weg van", "Remove dot from";
    ActionDotsLeft => "Stippen over", "Dots left";
    HaveRated => "deelnemers hebben gescoord", "participants have rated";
    NoActions => "Nog geen acties.", "No actions yet.";
    GroupActionsHint => "Zeggen twee acties hetzelfde? Kies bij een actie met welke ze samengaat: hun stippen tellen samen.", "Do two actions say the same thing? Choose for an action which one it goes with: their dots count together.";
    SameAs => "Gaat samen met", "Goes with";
    OnItsOwn => "(apart)", "(on its own)";
    GroupTotal => "Samen", "Together";
    WeakestFirst => "De zwakste bouwstenen eerst.", "The weakest building blocks first.";
    // Work form 003 (roles.rs).
    PerspectivesHeading => "Jouw evenwicht tussen de drie perspectieven", "Your balance between the three perspectives";
    PointsPrivate => "Verdeel 10 punten over de organisatie, het individu en het netwerk: waar ligt jouw gewicht nu? Alleen jij ziet je punten. De groep ziet enkel het gemiddelde, en pas vanaf", "Divide 10 points over the organisation, the individual and the network: where does your weight lie now? Only you see your points. The group sees only the average, and only from";
    PointsLeft => "Nog te verdelen", "Still to divide";
    PointOn => "Punt erbij", "Add a point";
    PointOff => "Punt eraf", "Take a point away";
    PointsFor => "Punten", "Points";
    RolesHeading => "Jouw rollen in deze samenwerking", "Your roles in this collaboration";
    RolesExplain => "Geef per rol aan of je ze nu opneemt of wil opnemen. Eén rol kan door verschillende mensen opgenomen worden, en één persoon kan verschillende rollen opnemen.", "Say per role whether you take it up now or want to. One role can be taken up by several people, and one person can take up several roles.";
    NoClaim => "Niets", "Nothing";
    GroupWillSee => "Als je je rollen deelt, ziet de groep ze: je naam bij elke rol die je aanduidde, op het scherm en op ieders toestel. Tot dan ziet niemand ze, ook de begeleider niet.", "If you share your roles, the group will see them: your name with every role you marked, on the screen and on everyone's device. Until then nobody sees them, not even the facilitator.";
    RolesShared => "Je rollen zijn gedeeld met de groep.", "Your roles are shared with the group.";
    RolesNotShared => "Je rollen zijn nog niet gedeeld: alleen jij ziet ze.", "Your roles are not shared yet: only you see them.";
    ShareRoles => "Deel mijn rollen met de groep", "Share my roles with the group";
    UnshareRoles => "Niet meer delen", "Stop sharing";
    HaveDivided => "deelnemers hebben hun punten verdeeld", "participants have divided their points";
    HaveShared => "hebben hun rollen gedeeld", "have shared their roles";
    BalanceHeading => "Evenwicht van de groep", "The group's balance";
    BalanceWaiting => "Het evenwicht van de groep verschijnt zodra genoeg mensen hun punten verdeelden: minstens", "The group's balance appears once enough people have divided their points: at least";
    RoleMapHeading => "Rollenkaart", "Role map";
    NobodyShared => "Nog niemand heeft zijn rollen gedeeld.", "Nobody has shared their roles yet.";
    CorePiled => "Meerdere kernrollen bij één persoon", "Several core roles on one person";
    Uncovered => "Niet opgenomen", "Not taken up";
    Crowded => "Druk bezet", "Crowded";
    Role => "Rol", "Role";
    AgreementsHeading => "Rolafspraken", "Role agreements";
    NoAgreements => "Nog geen afspraken.", "No agreements yet.";
    From => "vanaf", "from";
    FromWhen => "Vanaf wanneer", "From when";
    Who => "Wie", "Who";
    AddAgreement => "Afspraak toevoegen", "Add agreement";
    RemoveAgreement => "Verwijder afspraak", "Remove agreement";
    KBalance => "Minimum aantal antwoorden voor het evenwicht (k)", "Least answers before the balance shows (k)";
    WhereWeStand => "Waar staan we?", "Where do we stand?";
    HaveAnswered => "deelnemers hebben geantwoord", "participants have answered";
    PhasesWaiting => "De verdeling verschijnt als de begeleider ze toont, bij minstens zoveel antwoorden:", "The distribution appears when the facilitator shows it, with at least this many answers:";
    HidePhases => "Verberg de verdeling", "Hide the distribution";
    ShowPhases => "Toon de verdeling", "Show the distribution";
    Field => "Veld", "Field";
    CanvasCard => "Jouw kaart", "Your card";
    AddCard => "Kaart toevoegen", "Add card";
    MovedFrom => "verplaatst uit", "moved from";
    RewordedWithConsent => "herformuleerd, met akkoord van de auteur", "reworded, with the author's consent";
    RewordProposed => "Voorstel tot herformulering", "Proposed rewording";
    TakeReword => "Neem over", "Take it over";
    AwaitsAuthor => "wacht op de auteur", "awaits the author";
    MergeWith => "Voeg samen met", "Merge with";
    Reword => "Herformuleer", "Reword";
    ProposeReword => "Stel voor aan de auteur", "Propose to the author";
    ConsentRound => "Instemmingsronde", "Consent round";
    Reason => "Jouw reden of zorg", "Your reason or concern";
    ObjectionNeedsReason => "Een bezwaar vraagt een reden: iedereen spreekt zijn zorgen uit.", "An objection needs a reason: everyone voices their concerns.";
    YourAnswer => "Jouw antwoord", "Your answer";
    Proposals => "Voorstellen", "Proposals";
    NotAnsweredYet => "Nog niet geantwoord", "Not answered yet";
    StopRound => "Ronde stoppen", "Stop the round";
    NewProposal => "Nieuw voorstel", "New proposal";
    AddProposal => "Voorstel toevoegen", "Add proposal";
    ProposalWording => "Tekst van het voorstel", "Text of the proposal";
    Amend => "Wijzig", "Amend";
    AskConsent => "Vraag instemming", "Ask for consent";
    Drop => "Laten vallen", "Drop";
    Reopen => "Heropenen", "Reopen";
    AdoptTwo => "Vastleggen als TWO", "Adopt as a TWO";
    NoCollaborationYet => "Deze sessie is de eerste van haar samenwerking. Start hieronder de volgende: die neemt de afspraken (TWO's), hun geschiedenis en de rugzak mee.", "This session is the first of its collaboration. Start the next one below: it carries the agreements (TWOs), their history and the backpack.";
    Lesson => "Een les voor de rugzak", "A lesson for the backpack";
    PackLesson => "In de rugzak", "Into the backpack";
    InBackpack => "Zit in de rugzak", "In the backpack";
    YourHorizon => "Jouw zin", "Your sentence";
    ShareSentence => "Deel je zin met de groep", "Share your sentence with the group";
    SentenceShared => "Je zin ligt op tafel.", "Your sentence is on the table.";
    YourRoute => "Jouw scores op de route", "Your ratings on the route";
    RouteWaiting => "De route verschijnt zodra de begeleider hem toont en er minstens zoveel scores zijn:", "The route appears once the facilitator shows it and there are at least this many ratings:";
    ShowRoute => "Toon de route", "Show the route";
    HideRoute => "Verberg de route", "Hide the route";
    NextSession => "Volgende sessie", "Next session";
    NextSessionTitle => "Titel van de volgende sessie", "Title of the next session";
    WorkForm => "Werkvorm", "Work form";
    NextSessionExplain => "Afspraken waarvan de herzieningsdatum gekomen is, staan in de volgende sessie weer op de agenda: behouden, wijzigen of laten vallen, met dezelfde instemmingsronde.", "Agreements whose review date has come are on the next session's agenda again: keep, amend or drop, with the same consent round.";
    StartNextSession => "Volgende sessie starten", "Start the next session";
    KPhases => "Minimum aantal antwoorden voor de verdeling (k)", "Least answers before the distribution shows (k)";
    KRoute => "Minimum aantal scores voor de route (k)", "Least ratings before the route shows (k)";
    NewCollaboration => "Nieuwe samenwerking", "New collaboration";
    NewCollaborationExplain => "Een samenwerking loopt over meerdere sessies, van elke werkvorm: elke sessie neemt de afspraken (TWO's), hun geschiedenis en de rugzak van de vorige mee.", "A collaboration runs over several sessions, of any form: each session carries the agreements (TWOs), their history and the backpack of the one before.";
    CreateCollaboration => "Samenwerking aanmaken", "Create collaboration";
    Sessions => "Sessies", "Sessions";
    Date => "Datum", "Date";
    OpenSession => "Openen als begeleider", "Open as facilitator";
    NoSessionsYet => "Nog geen sessies. Start hieronder de eerste.", "No sessions yet. Start the first one below.";
    FirstSession => "Eerste sessie", "First session";
    StartSession => "Sessie starten", "Start the session";
    SessionTitle => "Titel van de sessie", "Title of the session";
    LinkSecretCollaboration => "Bewaar de link van deze pagina: daarmee open je de samenwerking en elk van haar sessies als begeleider. Deel hem alleen met co-begeleiders.", "Keep this page's link: it opens the collaboration and each of its sessions as facilitator. Share it with co-facilitators only.";
    MakeCoFacilitatorLink => "Link voor een co-begeleider maken", "Make a link for a co-facilitator";
    CoFacilitatorLinkLabel => "Link voor een co-begeleider (geheim)", "Link for a co-facilitator (secret)";
    CollaborationDelete => "Samenwerking en al haar sessies definitief verwijderen", "Delete the collaboration and all its sessions for good";
    CollaborationDeleteConfirm => "De samenwerking en al haar sessies worden definitief verwijderd: afspraken, rugzak, notities, alle links. Doorgaan?", "The collaboration and all its sessions are deleted for good: agreements, backpack, notes, every link. Continue?";
    CollaborationDeleted => "De samenwerking is verwijderd, met al haar sessies.", "The collaboration has been deleted, with all its sessions.";
    CollaborationPageLink => "Link naar de pagina van de samenwerking", "Link to the collaboration's page";
    OpenCollaboration => "Pagina van de samenwerking openen", "Open the collaboration's page";
}
