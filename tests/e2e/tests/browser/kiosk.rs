//! A session that requires the kiosk launcher: the app sends the launcher's
//! config key (from the URL fragment) on every call; without it the login
//! is refused with a French explanation. Inside the launcher (its loopback
//! link, the real one from `vigil-kiosk`, started here), the machine report
//! becomes a `kiosk_report` event and, once the exam is submitted and every
//! event acknowledged, the app tells the launcher it may close.

use anyhow::ensure;
use vigil_e2e::{Clip, Harness};
use vigil_kiosk::link::{Link, ReportBody, ReportItem};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kiosk_session_needs_the_launchers_key() {
    let h = Harness::start(Clip::Face).await.expect("harness");
    let r = async {
        let key = "c0ffee".repeat(10) + "c0ff";
        h.server_cli(&["session", "require-kiosk", &h.demo.session, &key])?;

        h.open("/").await?;
        h.fill_login(0, None).await?;
        h.click("login-submit").await?;
        let text = h.testid("login-error").await?.text().await?;
        ensure!(
            text.contains("lanceur sécurisé"),
            "unexpected message: {text}"
        );

        // Opened as the launcher opens it: the key and the link in the fragment.
        let report = ReportBody {
            config_key: key.clone(),
            launcher: "vigil-kiosk test".into(),
            results: vec![ReportItem {
                item: "virtual_machine",
                status: "warn",
                detail: "sys_vendor = QEMU".into(),
            }],
        };
        let link = Link::start(&h.base, report)?;
        h.open(&format!(
            "/#vigil-config-key={key}&vigil-kiosk-link={}",
            link.fragment_value()
        ))
        .await?;
        h.client.refresh().await?;
        h.fill_login(0, None).await?;
        h.click("login-submit").await?;
        h.screen("system-check").await?;
        // Every later call carries the key too: the package and the start.
        h.walk_from_system_check().await?;
        h.start_exam().await?;
        // The app reports at each sync round (every few seconds).
        let mut status = link.status();
        for _ in 0..150 {
            if status.is_some_and(|s| s.started) {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            status = link.status();
        }
        ensure!(
            status.is_some_and(|s| s.started && !s.finished),
            "status during the exam: {status:?}"
        );

        h.click("review-open").await?;
        h.click("submit").await?;
        h.click("submit-confirm").await?;
        h.screen("finished").await?;
        h.css_within("[data-testid=\"sync-status\"][data-pending=\"0\"]", 30)
            .await?;
        let mut done = false;
        for _ in 0..100 {
            if link.status().is_some_and(|s| s.done()) {
                done = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        ensure!(
            done,
            "the launcher never heard 'all sent': {:?}",
            link.status()
        );

        let reports: Vec<_> = h
            .stored_events()
            .await?
            .into_iter()
            .filter(|(k, _)| k == "kiosk_report")
            .collect();
        ensure!(reports.len() == 1, "kiosk reports recorded: {reports:?}");
        let body = &reports[0].1;
        ensure!(
            body["config_key"] == key.as_str()
                && body["results"][0]["item"] == "virtual_machine"
                && body["results"][0]["status"] == "warn",
            "report recorded: {body}"
        );
        Ok(())
    }
    .await;
    h.finish("kiosk_key", r).await;
}
