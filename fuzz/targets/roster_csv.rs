//! The roster import: an organiser's CSV (any column order, quoting, BOM,
//! names in any script). A row it accepts must satisfy the rules it states
//! (ids in their alphabet and length, names 1–100 characters without
//! control characters, an email with one `@`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil_server::roster::{self, MAX_CANDIDATE_ID_LEN, MAX_NAME_CHARS};

fuzz_target!(|data: &[u8]| {
    vigil_fuzz::seeds_once("roster_csv", || {
        vec![
            ("minimal", b"candidate\nC-001\nC-002\n".to_vec()),
            (
                "full",
                "\u{feff}person;family_name;given_name;email;candidate;code;extra_time\n\
                 P1;Dupont;Zoé;zoe@example.fr;C-001;;non\n\
                 P2;\"N'Guyen; Lê\";Ana;ana@example.org;C-002;ABCD-EFGH-JKMN;oui\n"
                    .as_bytes()
                    .to_vec(),
            ),
            (
                "any_order",
                b"extra_time,candidate\nyes,a.b_c-1\nno,Z9\n".to_vec(),
            ),
        ]
    });
    let Some(text) = vigil_fuzz::text(data) else {
        return;
    };
    if let Ok(rows) = roster::parse(text) {
        assert!(!rows.is_empty(), "an accepted roster without a candidate");
        for row in &rows {
            let id = &row.candidate;
            assert!(
                !id.is_empty() && id.len() <= MAX_CANDIDATE_ID_LEN,
                "candidate id {id:?} accepted"
            );
            if let Some(p) = &row.person {
                for name in [&p.family_name, &p.given_name] {
                    let n = name.chars().count();
                    assert!((1..=MAX_NAME_CHARS).contains(&n), "name {name:?} accepted");
                    assert!(
                        !name.chars().any(char::is_control),
                        "name {name:?} accepted"
                    );
                }
                assert_eq!(
                    p.email.matches('@').count(),
                    1,
                    "email {:?} accepted",
                    p.email
                );
            }
        }
    }
    let _ = roster::check_email(text);
    let _ = roster::parse_yes_no(text);
});
