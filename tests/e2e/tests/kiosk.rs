//! A session that requires the kiosk launcher: the app sends the launcher's
//! config key (from the URL fragment) on every call; without it the login
//! is refused with a French explanation.

use anyhow::ensure;
use vigil_e2e::{Clip, Harness};

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

        // Opened as the launcher opens it: the key in the fragment.
        h.open(&format!("/#vigil-config-key={key}")).await?;
        h.client.refresh().await?;
        h.fill_login(0, None).await?;
        h.click("login-submit").await?;
        h.screen("system-check").await?;
        // Every later call carries the key too: the package and the start.
        h.walk_from_system_check().await?;
        h.click("start-button").await?;
        h.screen("exam").await?;
        Ok(())
    }
    .await;
    h.finish("kiosk_key", r).await;
}
