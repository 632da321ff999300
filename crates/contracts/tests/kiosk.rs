//! The kiosk link's messages on the wire: each one as a JSON literal, so a
//! renamed or retyped field fails here. The launcher's own tests
//! (`crates/kiosk`) post the same literals to the running link.

// Tests and benchmarks may unwrap: a panic is their failure report.
#![allow(clippy::unwrap_used)]

use std::fmt::Debug;

use serde::{Deserialize, Serialize};
use vigil_contracts::kiosk::{
    item, status, AppStatus, LinkError, ReportBody, ReportItem, LINK_PARAM, REPORT_ROUTE,
    STATUS_ROUTE,
};

/// `value` serializes to exactly `json`, and `json` reads back as `value`.
fn round_trip<'a, T>(value: T, json: &'a str)
where
    T: Serialize + Deserialize<'a> + PartialEq + Debug,
{
    assert_eq!(serde_json::to_string(&value).unwrap(), json);
    assert_eq!(serde_json::from_str::<T>(json).unwrap(), value);
}

#[test]
fn the_link_is_named_in_the_fragment_and_has_two_routes() {
    assert_eq!(LINK_PARAM, "vigil-kiosk-link");
    assert_eq!(REPORT_ROUTE, "report");
    assert_eq!(STATUS_ROUTE, "status");
}

#[test]
fn the_app_status_carries_the_seqs_and_a_consistent_pending_count() {
    round_trip(
        AppStatus::complete(42, 40, 1, true, true),
        r#"{"pending":3,"started":true,"finished":true,"logged_seq":42,"acked_seq":40,"pending_media":1}"#,
    );
    round_trip(
        AppStatus::complete(0, 0, 0, false, false),
        r#"{"pending":0,"started":false,"finished":false,"logged_seq":0,"acked_seq":0,"pending_media":0}"#,
    );
    // Acknowledgements never make the count negative.
    assert_eq!(AppStatus::complete(3, 5, 1, true, false).pending, 1);
}

#[test]
fn an_older_apps_status_still_reads_but_claims_only() {
    let old = AppStatus {
        pending: 0,
        started: true,
        finished: true,
        ..AppStatus::default()
    };
    round_trip(old, r#"{"pending":0,"started":true,"finished":true}"#);
    assert!(old.done());
    assert!(!AppStatus::complete(9, 8, 0, true, true).done());
}

#[test]
fn a_status_with_an_unknown_or_bad_field_is_refused() {
    for bad in [
        r#"{"pending":0,"started":true,"finished":true,"x":1}"#,
        r#"{"pending":-1,"started":true,"finished":true}"#,
        r#"{"pending":0,"started":"yes","finished":true}"#,
        r#"{"started":true,"finished":true}"#,
    ] {
        assert!(serde_json::from_str::<AppStatus>(bad).is_err(), "{bad}");
    }
}

#[test]
fn the_machine_report_is_the_kiosk_report_body() {
    let report = ReportBody {
        config_key: "ab".repeat(32),
        launcher: "vigil-kiosk 0.1.0".into(),
        results: vec![
            ReportItem {
                item: item::DISPLAYS,
                status: status::PASS,
                detail: "1 écran".into(),
            },
            ReportItem {
                item: item::VIRTUAL_MACHINE,
                status: status::WARN,
                detail: "sys_vendor = \"QEMU\"".into(),
            },
            ReportItem {
                item: item::REMOTE_CONTROL,
                status: status::FAIL,
                detail: "anydesk".into(),
            },
        ],
    };
    let json = format!(
        r#"{{"config_key":"{}","launcher":"vigil-kiosk 0.1.0","results":[{}]}}"#,
        "ab".repeat(32),
        [
            r#"{"item":"displays","status":"pass","detail":"1 écran"}"#,
            r#"{"item":"virtual_machine","status":"warn","detail":"sys_vendor = \"QEMU\""}"#,
            r#"{"item":"remote_control","status":"fail","detail":"anydesk"}"#,
        ]
        .join(",")
    );
    round_trip(report, &json);
}

#[test]
fn a_report_with_an_unknown_field_or_an_escaped_name_is_refused() {
    let ok = r#"{"config_key":"k","launcher":"l","results":[{"item":"displays","status":"pass","detail":""}]}"#;
    assert!(serde_json::from_str::<ReportBody<'_>>(ok).is_ok());
    for bad in [
        r#"{"config_key":"k","launcher":"l","results":[],"x":1}"#,
        r#"{"config_key":"k","launcher":"l","results":[{"item":"displays","status":"pass","detail":"","x":1}]}"#,
        r#"{"config_key":"k","launcher":"l","results":[{"item":"d\u0069splays","status":"pass","detail":""}]}"#,
        r#"{"config_key":"k","results":[]}"#,
    ] {
        assert!(
            serde_json::from_str::<ReportBody<'_>>(bad).is_err(),
            "{bad}"
        );
    }
}

#[test]
fn the_links_errors_have_one_field() {
    round_trip(
        LinkError {
            error: "not found".into(),
        },
        r#"{"error":"not found"}"#,
    );
}
