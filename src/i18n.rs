//! Every word the candidate reads, in one typed catalogue.
//!
//! A struct of `&'static str` per language instead of string keys: a missing
//! translation is a compile error, not a blank on an exam screen. French is
//! the default (the reference exam is French); English is one switch away.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Fr,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Fr => "fr",
            Lang::En => "en",
        }
    }
    pub fn texts(self) -> &'static Texts {
        match self {
            Lang::Fr => &FR,
            Lang::En => &EN,
        }
    }
    /// The other language, for the switch.
    pub fn other(self) -> Lang {
        match self {
            Lang::Fr => Lang::En,
            Lang::En => Lang::Fr,
        }
    }
}

#[derive(Debug)]
pub struct Texts {
    pub product: &'static str,
    pub switch_language: &'static str,
    pub login_title: &'static str,
    pub login_intro: &'static str,
    pub login_session: &'static str,
    pub login_candidate: &'static str,
    pub login_code: &'static str,
    pub login_code_hint: &'static str,
    pub login_submit: &'static str,
    pub login_busy: &'static str,
    pub login_test_equipment: &'static str,
    pub err_missing_fields: &'static str,
    pub err_bad_credentials: &'static str,
    pub err_session_over: &'static str,
    pub err_unreachable: &'static str,
    pub err_unexpected: &'static str,
    pub check_title: &'static str,
    pub check_intro: &'static str,
    pub check_standalone_note: &'static str,
    pub check_browser: &'static str,
    pub check_browser_ok: &'static str,
    pub check_browser_missing: &'static str,
    pub check_camera: &'static str,
    pub check_camera_pending: &'static str,
    pub check_camera_ok: &'static str,
    pub check_camera_dark: &'static str,
    pub check_camera_denied: &'static str,
    pub check_memory: &'static str,
    pub check_memory_ok: &'static str,
    pub check_memory_low: &'static str,
    pub check_memory_too_low: &'static str,
    pub check_memory_unknown: &'static str,
    pub check_screens: &'static str,
    pub check_screens_ok: &'static str,
    pub check_screens_extended: &'static str,
    pub check_screens_unknown: &'static str,
    pub check_blocked: &'static str,
    pub camera_preview_label: &'static str,
    pub continue_label: &'static str,
    pub back_to_login: &'static str,
    pub signed_in_as: &'static str,
    pub loading: &'static str,
    pub storage_error: &'static str,
    pub sign_out: &'static str,
    pub consent_title: &'static str,
    pub consent_intro: &'static str,
    pub consent_allowed_title: &'static str,
    pub consent_allowed: &'static [&'static str],
    pub consent_forbidden_title: &'static str,
    pub consent_forbidden: &'static [&'static str],
    pub consent_conduct_title: &'static str,
    pub consent_conduct: &'static [&'static str],
    pub consent_recorded_title: &'static str,
    pub consent_recorded: &'static [&'static str],
    pub consent_accept: &'static str,
    pub consent_required: &'static str,
    pub identity_id_title: &'static str,
    pub identity_id_help: &'static str,
    pub identity_face_title: &'static str,
    pub identity_face_help: &'static str,
    pub identity_no_photo: &'static str,
    pub identity_no_frame: &'static str,
    pub identity_capture: &'static str,
    pub identity_retake: &'static str,
    pub identity_keep: &'static str,
    pub unavailable_title: &'static str,
    pub unavailable_text: &'static str,
}

pub static FR: Texts = Texts {
    product: "Vigil — examen surveillé",
    switch_language: "English",
    login_title: "Connexion à l'examen",
    login_intro: "Saisissez les informations de votre convocation.",
    login_session: "Numéro de session",
    login_candidate: "Identifiant de candidat",
    login_code: "Code d'accès",
    login_code_hint: "8 caractères, par exemple ABCD-EFGH. Majuscules et tiret facultatifs.",
    login_submit: "Se connecter",
    login_busy: "Connexion…",
    login_test_equipment: "Tester mon matériel",
    err_missing_fields: "Renseignez le numéro de session, votre identifiant et votre code d'accès.",
    err_bad_credentials: "Identifiants incorrects : vérifiez le numéro de session, votre identifiant de candidat et votre code d'accès sur votre convocation.",
    err_session_over: "Cette session d'examen est terminée : il n'est plus possible de s'y connecter.",
    err_unreachable: "Le serveur d'examen est injoignable. Vérifiez votre connexion à Internet, puis réessayez.",
    err_unexpected: "Une erreur inattendue est survenue. Réessayez ; si elle persiste, contactez l'assistance en indiquant ce code :",
    check_title: "Vérification du matériel",
    check_intro: "Nous vérifions que votre ordinateur peut faire passer l'examen. Rien n'est envoyé pendant ce test.",
    check_standalone_note: "Test libre, sans connexion : vous pourrez le refaire le jour de l'examen.",
    check_browser: "Navigateur",
    check_browser_ok: "Votre navigateur prend en charge tout ce dont l'examen a besoin.",
    check_browser_missing: "Il manque à votre navigateur : {}. Utilisez une version récente de Chrome, Edge ou Firefox.",
    check_camera: "Caméra",
    check_camera_pending: "Autorisez l'accès à la caméra lorsque le navigateur le demande.",
    check_camera_ok: "La caméra fonctionne et l'image est assez lumineuse.",
    check_camera_dark: "L'image de la caméra est noire ou très sombre : retirez ce qui la couvre et éclairez votre visage.",
    check_camera_denied: "La caméra est inaccessible ({}). Autorisez-la dans les réglages du navigateur et vérifiez qu'aucune autre application ne l'utilise.",
    check_memory: "Mémoire",
    check_memory_ok: "Mémoire suffisante ({} Go).",
    check_memory_low: "Mémoire juste suffisante ({} Go) : fermez les autres applications avant l'examen.",
    check_memory_too_low: "Mémoire insuffisante ({} Go) : il faut au moins 4 Go. Utilisez un autre ordinateur.",
    check_memory_unknown: "Votre navigateur ne communique pas la mémoire disponible : fermez les autres applications avant l'examen.",
    check_screens: "Écrans",
    check_screens_ok: "Un seul écran est utilisé.",
    check_screens_extended: "Un second écran est branché : débranchez-le (ou passez en mode « écran unique ») puis relancez le test.",
    check_screens_unknown: "Votre navigateur ne permet pas de compter les écrans : n'utilisez qu'un seul écran.",
    check_blocked: "Corrigez les points en rouge pour continuer.",
    camera_preview_label: "Aperçu de votre caméra",
    continue_label: "Continuer",
    back_to_login: "Retour à la connexion",
    signed_in_as: "Candidat",
    loading: "Chargement…",
    storage_error: "Impossible d'enregistrer sur cet ordinateur ({}). Quittez la navigation privée, libérez de la place sur le disque, puis réessayez.",
    sign_out: "Se déconnecter",
    consent_title: "Règlement de l'épreuve",
    consent_intro: "Lisez ce règlement en entier : il s'applique pendant toute l'épreuve, sans pause.",
    consent_allowed_title: "Autorisé sur la table",
    consent_allowed: &["Une pièce d'identité officielle.", "Une feuille A4 vierge.", "Un stylo."],
    consent_forbidden_title: "Interdit",
    consent_forbidden: &[
        "Calculatrice, dictionnaire, montre.",
        "Téléphone et tout appareil connecté : éteints et hors de portée.",
        "Écouteurs, oreillettes, casque audio, couvre-chef.",
    ],
    consent_conduct_title: "Pendant l'épreuve",
    consent_conduct: &[
        "Votre visage et vos oreilles restent visibles par la caméra.",
        "Aucune communication avec qui que ce soit.",
        "Pas de pause : le temps continue de s'écouler même si vous quittez la page.",
        "L'épreuve reste en plein écran ; en sortir est signalé.",
    ],
    consent_recorded_title: "Ce qui est enregistré",
    consent_recorded: &[
        "Vos réponses et les événements de l'épreuve, horodatés et chaînés pour être vérifiables.",
        "Une photo de votre pièce d'identité, une photo de votre visage et une vidéo de votre pièce.",
        "En cas d'incident (visage absent, plusieurs visages, voix, sortie de la fenêtre), une image fixe.",
        "La vidéo de la caméra est analysée sur votre ordinateur et n'est jamais envoyée en continu.",
    ],
    consent_accept: "J'ai lu le règlement et j'accepte que l'épreuve soit surveillée comme décrit ci-dessus.",
    consent_required: "Cochez la case pour accepter le règlement avant de continuer.",
    identity_id_title: "Votre pièce d'identité",
    identity_id_help: "Tenez votre pièce d'identité face à la caméra, photo visible et lisible, puis prenez la photo.",
    identity_face_title: "Votre visage",
    identity_face_help: "Regardez la caméra, visage dégagé et bien éclairé, seul dans l'image, puis prenez la photo.",
    identity_no_photo: "La photo apparaîtra ici.",
    identity_no_frame: "La caméra n'a pas encore transmis d'image : patientez un instant puis réessayez.",
    identity_capture: "Prendre la photo",
    identity_retake: "Reprendre",
    identity_keep: "Valider la photo",
    unavailable_title: "Étape suivante",
    unavailable_text: "Vos réponses aux étapes précédentes sont enregistrées sur cet ordinateur. La suite du parcours (identité, scan de la pièce, salle d'attente, épreuve) n'est pas encore disponible dans cette version.",
};

pub static EN: Texts = Texts {
    product: "Vigil — proctored exam",
    switch_language: "Français",
    login_title: "Sign in to your exam",
    login_intro: "Enter the details from your exam notice.",
    login_session: "Session number",
    login_candidate: "Candidate ID",
    login_code: "Access code",
    login_code_hint: "8 characters, e.g. ABCD-EFGH. Case and dash do not matter.",
    login_submit: "Sign in",
    login_busy: "Signing in…",
    login_test_equipment: "Test my equipment",
    err_missing_fields: "Enter the session number, your candidate ID and your access code.",
    err_bad_credentials: "Wrong credentials: check the session number, your candidate ID and your access code on your exam notice.",
    err_session_over: "This exam session is over: signing in is no longer possible.",
    err_unreachable: "The exam server cannot be reached. Check your Internet connection, then try again.",
    err_unexpected: "Something unexpected went wrong. Try again; if it persists, contact support with this code:",
    check_title: "Equipment check",
    check_intro: "We check that your computer can run the exam. Nothing is sent during this test.",
    check_standalone_note: "Practice check, without signing in: you can run it again on exam day.",
    check_browser: "Browser",
    check_browser_ok: "Your browser supports everything the exam needs.",
    check_browser_missing: "Your browser lacks: {}. Use a recent Chrome, Edge or Firefox.",
    check_camera: "Camera",
    check_camera_pending: "Allow camera access when your browser asks.",
    check_camera_ok: "The camera works and the picture is bright enough.",
    check_camera_dark: "The camera picture is black or very dark: uncover it and light your face.",
    check_camera_denied: "The camera cannot be used ({}). Allow it in the browser settings and make sure no other application is using it.",
    check_memory: "Memory",
    check_memory_ok: "Enough memory ({} GB).",
    check_memory_low: "Just enough memory ({} GB): close other applications before the exam.",
    check_memory_too_low: "Not enough memory ({} GB): at least 4 GB is needed. Use another computer.",
    check_memory_unknown: "Your browser does not report its memory: close other applications before the exam.",
    check_screens: "Screens",
    check_screens_ok: "A single screen is in use.",
    check_screens_extended: "A second screen is connected: unplug it (or switch to a single display) and run the check again.",
    check_screens_unknown: "Your browser cannot count screens: use a single screen only.",
    check_blocked: "Fix the items in red to continue.",
    camera_preview_label: "Your camera preview",
    continue_label: "Continue",
    back_to_login: "Back to sign-in",
    signed_in_as: "Candidate",
    loading: "Loading…",
    storage_error: "This computer could not save your progress ({}). Leave private browsing, free some disk space, then try again.",
    sign_out: "Sign out",
    consent_title: "Exam rules",
    consent_intro: "Read these rules in full: they apply for the whole exam, with no break.",
    consent_allowed_title: "Allowed on the desk",
    consent_allowed: &["An official identity document.", "One blank A4 sheet.", "A pen."],
    consent_forbidden_title: "Forbidden",
    consent_forbidden: &[
        "Calculator, dictionary, watch.",
        "Phone and any connected device: switched off and out of reach.",
        "Earbuds, earphones, headphones, headwear.",
    ],
    consent_conduct_title: "During the exam",
    consent_conduct: &[
        "Your face and ears stay visible to the camera.",
        "No communication with anyone.",
        "No break: time keeps running even if you leave the page.",
        "The exam stays full screen; leaving it is reported.",
    ],
    consent_recorded_title: "What is recorded",
    consent_recorded: &[
        "Your answers and the exam's events, time-stamped and chained so they can be verified.",
        "A photo of your identity document, a photo of your face and a video of your room.",
        "On an incident (face missing, several faces, voice, leaving the window), a still picture.",
        "The camera video is analysed on your computer and is never streamed.",
    ],
    consent_accept: "I have read the rules and I accept that the exam is proctored as described above.",
    consent_required: "Tick the box to accept the rules before continuing.",
    identity_id_title: "Your identity document",
    identity_id_help: "Hold your identity document up to the camera, photo visible and readable, then take the picture.",
    identity_face_title: "Your face",
    identity_face_help: "Look at the camera, face uncovered and well lit, alone in the picture, then take the picture.",
    identity_no_photo: "The photo will appear here.",
    identity_no_frame: "The camera has not sent a picture yet: wait a moment and try again.",
    identity_capture: "Take the photo",
    identity_retake: "Retake",
    identity_keep: "Keep this photo",
    unavailable_title: "Next step",
    unavailable_text: "What you did in the previous steps is saved on this computer. The rest of the journey (identity, room scan, waiting room, exam) is not available in this version yet.",
};

/// Fills the single `{}` of a catalogue entry.
pub fn fill(template: &str, value: &str) -> String {
    template.replacen("{}", value, 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_is_the_default() {
        assert_eq!(Lang::default(), Lang::Fr);
        assert_eq!(Lang::default().texts().login_submit, "Se connecter");
    }

    #[test]
    fn placeholders_match_between_languages() {
        // Every entry with a `{}` in French has one in English too.
        let fr = format!("{FR:?}");
        let en = format!("{EN:?}");
        assert_eq!(fr.matches("{}").count(), en.matches("{}").count());
    }

    #[test]
    fn fill_replaces_the_placeholder() {
        assert_eq!(fill("a {} b", "x"), "a x b");
    }
}
