//! The machine checks: pure functions from a configuration and a set of
//! [`SystemFacts`] to a [`Report`] the candidate reads in plain French.
//!
//! Three checks, each with its verdict set by the configuration (deny, warn
//! or allow) and applied only when something is found: extra displays,
//! virtual machine (DMI strings or the CPU's hypervisor flag), and screen
//! sharing / remote control / recording programs. A fact the platform does
//! not give (display count on Windows, say) is reported as unknown and is
//! never a finding: the launcher must not refuse a machine on a guess —
//! Safe Exam Browser's false "virtual machine" verdicts are the lesson.

use crate::config::{Config, Verdict};
use crate::facts::SystemFacts;

/// DMI substrings (lowercase) that name a hypervisor or a cloud VM.
pub const VM_MARKERS: &[&str] = &[
    "qemu",
    "kvm",
    "virtualbox",
    "innotek",
    "vmware",
    "virtual machine",
    "hvm domu",
    "xen",
    "bochs",
    "seabios",
    "parallels",
    "bhyve",
    "google compute engine",
    "amazon ec2",
    "openstack",
    "cloud hypervisor",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckId {
    Displays,
    VirtualMachine,
    RemoteControl,
}

impl CheckId {
    pub fn label_fr(self) -> &'static str {
        match self {
            CheckId::Displays => "Écrans",
            CheckId::VirtualMachine => "Machine virtuelle",
            CheckId::RemoteControl => "Partage d'écran et prise en main à distance",
        }
    }
}

/// One check's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub check: CheckId,
    /// Something was found (before the verdict is applied).
    pub found: bool,
    /// The configured verdict if `found`, else [`Verdict::Allow`].
    pub verdict: Verdict,
    /// What was seen, in French.
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub findings: Vec<Finding>,
}

/// Runs every check.
pub fn evaluate(config: &Config, facts: &dyn SystemFacts) -> Report {
    Report {
        findings: vec![
            displays(config, facts),
            virtual_machine(config, facts),
            remote_control(config, facts),
        ],
    }
}

fn finding(check: CheckId, found: bool, verdict: Verdict, detail: String) -> Finding {
    Finding {
        check,
        found,
        verdict: if found { verdict } else { Verdict::Allow },
        detail,
    }
}

fn displays(config: &Config, facts: &dyn SystemFacts) -> Finding {
    let max = config.displays.max;
    let (found, detail) = match facts.display_count() {
        None => (
            false,
            "nombre d'écrans inconnu sur ce système (non vérifié)".to_string(),
        ),
        Some(0) => (
            false,
            "aucun écran branché détecté (machine sans sortie graphique connue)".to_string(),
        ),
        Some(n) if n <= max => (false, format!("{n} écran(s) branché(s), {max} autorisé(s)")),
        Some(n) => (
            true,
            format!("{n} écrans branchés, {max} autorisé(s) : débranchez l'écran supplémentaire"),
        ),
    };
    finding(CheckId::Displays, found, config.displays.verdict, detail)
}

fn virtual_machine(config: &Config, facts: &dyn SystemFacts) -> Finding {
    let mut evidence: Vec<String> = facts
        .dmi_strings()
        .into_iter()
        .filter(|(_, value)| {
            let value = value.to_lowercase();
            VM_MARKERS.iter().any(|m| value.contains(m))
        })
        .map(|(field, value)| format!("{field} = {value}"))
        .collect();
    if facts.hypervisor_flag() == Some(true) {
        evidence.push("le processeur signale un hyperviseur".to_string());
    }
    let found = !evidence.is_empty();
    let detail = if found {
        format!("cette machine semble virtuelle ({})", evidence.join(" ; "))
    } else {
        "aucun signe de machine virtuelle".to_string()
    };
    finding(
        CheckId::VirtualMachine,
        found,
        config.virtual_machine.verdict,
        detail,
    )
}

fn remote_control(config: &Config, facts: &dyn SystemFacts) -> Finding {
    let Some(processes) = facts.process_names() else {
        return finding(
            CheckId::RemoteControl,
            false,
            Verdict::Allow,
            "liste des programmes illisible sur ce système (non vérifié)".to_string(),
        );
    };
    let mut seen: Vec<String> = processes
        .into_iter()
        .filter(|name| {
            config
                .remote_control
                .deny_list
                .iter()
                .any(|entry| process_matches(name, entry))
        })
        .collect();
    seen.sort();
    seen.dedup();
    let found = !seen.is_empty();
    let detail = if found {
        format!(
            "programme(s) en cours d'exécution : {} — fermez-les",
            seen.join(", ")
        )
    } else {
        "aucun logiciel de partage d'écran, de prise en main ou d'enregistrement détecté"
            .to_string()
    };
    finding(
        CheckId::RemoteControl,
        found,
        config.remote_control.verdict,
        detail,
    )
}

/// Whether a process name matches a deny-list entry: case-insensitive,
/// without a `.exe` suffix, equal to the entry or starting with it followed
/// by something other than a letter (`obs64` and `zoom.real` match `obs`
/// and `zoom`; `obsidian` and `zoomer` do not).
pub fn process_matches(name: &str, entry: &str) -> bool {
    let name = name.to_lowercase();
    let name = name.strip_suffix(".exe").unwrap_or(&name);
    let entry = entry.to_lowercase();
    if entry.is_empty() {
        return false;
    }
    match name.strip_prefix(entry.as_str()) {
        Some(rest) => rest.chars().next().is_none_or(|c| !c.is_alphabetic()),
        None => false,
    }
}

impl Report {
    /// Some finding has the verdict deny: the exam must not start.
    pub fn denied(&self) -> bool {
        self.findings.iter().any(|f| f.verdict == Verdict::Deny)
    }

    /// The report for the candidate, one line per check.
    pub fn render_fr(&self) -> String {
        let mut out = String::from("Vérification de la machine :\n");
        for f in &self.findings {
            out.push_str(&format!(
                "  {:<12} {} : {}\n",
                tag_fr(f),
                f.check.label_fr(),
                f.detail
            ));
        }
        if self.denied() {
            out.push_str(
                "L'examen ne peut pas démarrer sur cette machine pour la ou les raisons \
                 marquées [REFUSÉ]. Corrigez-les puis relancez, ou appelez un surveillant.\n",
            );
        } else if self.findings.iter().any(|f| f.verdict == Verdict::Warn) {
            out.push_str(
                "L'examen peut démarrer ; les points marqués [ATTENTION] sont notés \
                 et signalés aux surveillants.\n",
            );
        } else {
            out.push_str("Tout est en ordre.\n");
        }
        out
    }

    /// Lines describing what changed since `before` (empty: nothing).
    pub fn changes_since(&self, before: &Report) -> Vec<String> {
        self.findings
            .iter()
            .filter(|f| !before.findings.contains(f))
            .map(|f| format!("{} {} : {}", tag_fr(f), f.check.label_fr(), f.detail))
            .collect()
    }
}

fn tag_fr(f: &Finding) -> &'static str {
    match (f.found, f.verdict) {
        (_, Verdict::Deny) => "[REFUSÉ]",
        (_, Verdict::Warn) => "[ATTENTION]",
        (true, Verdict::Allow) => "[NOTÉ]",
        (false, Verdict::Allow) => "[OK]",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::FixedFacts;

    fn clean() -> FixedFacts {
        FixedFacts {
            dmi: vec![
                ("sys_vendor".into(), "LENOVO".into()),
                ("product_name".into(), "20XW0026FR".into()),
            ],
            hypervisor: Some(false),
            processes: Some(vec!["systemd".into(), "bash".into(), "chromium".into()]),
            displays: Some(1),
        }
    }

    fn verdict_of(report: &Report, check: CheckId) -> Verdict {
        report
            .findings
            .iter()
            .find(|f| f.check == check)
            .unwrap()
            .verdict
    }

    #[test]
    fn a_clean_laptop_passes_everything() {
        let report = evaluate(&Config::default(), &clean());
        assert!(!report.denied());
        assert!(report
            .findings
            .iter()
            .all(|f| !f.found && f.verdict == Verdict::Allow));
        assert!(report.render_fr().contains("Tout est en ordre"));
    }

    #[test]
    fn an_extra_display_is_denied_by_default_and_configurable() {
        let facts = FixedFacts {
            displays: Some(2),
            ..clean()
        };
        let mut config = Config::default();
        let report = evaluate(&config, &facts);
        assert_eq!(verdict_of(&report, CheckId::Displays), Verdict::Deny);
        assert!(report.denied());
        let text = report.render_fr();
        assert!(
            text.contains("[REFUSÉ]") && text.contains("2 écrans branchés"),
            "{text}"
        );
        assert!(text.contains("ne peut pas démarrer"));

        config.displays.verdict = Verdict::Warn;
        let report = evaluate(&config, &facts);
        assert_eq!(verdict_of(&report, CheckId::Displays), Verdict::Warn);
        assert!(!report.denied());

        config.displays.verdict = Verdict::Deny;
        config.displays.max = 2;
        assert_eq!(
            verdict_of(&evaluate(&config, &facts), CheckId::Displays),
            Verdict::Allow
        );
    }

    #[test]
    fn an_unknown_or_zero_display_count_is_never_a_finding() {
        for displays in [None, Some(0)] {
            let facts = FixedFacts {
                displays,
                ..clean()
            };
            let report = evaluate(&Config::default(), &facts);
            assert!(!report.findings[0].found);
            assert!(!report.denied());
        }
    }

    #[test]
    fn a_virtual_machine_warns_by_default_with_its_evidence() {
        let facts = FixedFacts {
            dmi: vec![
                ("sys_vendor".into(), "QEMU".into()),
                (
                    "product_name".into(),
                    "Standard PC (Q35 + ICH9, 2009)".into(),
                ),
            ],
            hypervisor: Some(true),
            ..clean()
        };
        let mut config = Config::default();
        let report = evaluate(&config, &facts);
        assert_eq!(verdict_of(&report, CheckId::VirtualMachine), Verdict::Warn);
        assert!(!report.denied());
        let text = report.render_fr();
        assert!(text.contains("sys_vendor = QEMU"), "{text}");
        assert!(text.contains("hyperviseur"), "{text}");
        assert!(text.contains("[ATTENTION]"));

        config.virtual_machine.verdict = Verdict::Deny;
        assert!(evaluate(&config, &facts).denied());
        config.virtual_machine.verdict = Verdict::Allow;
        let report = evaluate(&config, &facts);
        assert!(report.render_fr().contains("[NOTÉ]"));
        assert!(!report.denied());
    }

    #[test]
    fn each_vm_signal_alone_is_enough() {
        for dmi in [
            ("sys_vendor", "innotek GmbH"),
            ("product_name", "VirtualBox"),
            ("product_name", "VMware Virtual Platform"),
            ("product_name", "Virtual Machine"),
            ("product_name", "HVM domU"),
            ("bios_vendor", "SeaBIOS"),
        ] {
            let facts = FixedFacts {
                dmi: vec![(dmi.0.into(), dmi.1.into())],
                ..clean()
            };
            assert!(
                evaluate(&Config::default(), &facts).findings[1].found,
                "{dmi:?}"
            );
        }
        let facts = FixedFacts {
            hypervisor: Some(true),
            ..clean()
        };
        assert!(evaluate(&Config::default(), &facts).findings[1].found);
    }

    #[test]
    fn remote_control_programs_are_denied_by_default() {
        let facts = FixedFacts {
            processes: Some(vec!["bash".into(), "AnyDesk".into(), "obs64.exe".into()]),
            ..clean()
        };
        let mut config = Config::default();
        let report = evaluate(&config, &facts);
        assert_eq!(verdict_of(&report, CheckId::RemoteControl), Verdict::Deny);
        let text = report.render_fr();
        assert!(text.contains("AnyDesk, obs64.exe"), "{text}");

        config.remote_control.verdict = Verdict::Warn;
        assert_eq!(
            verdict_of(&evaluate(&config, &facts), CheckId::RemoteControl),
            Verdict::Warn
        );
        config.remote_control.deny_list = vec!["mytool".into()];
        config.remote_control.verdict = Verdict::Deny;
        let report = evaluate(&config, &facts);
        assert!(!report.denied(), "the deny-list is the configured one");
    }

    #[test]
    fn process_matching_is_by_name_not_by_substring() {
        assert!(process_matches("obs", "obs"));
        assert!(process_matches("OBS64.EXE", "obs"));
        assert!(process_matches("zoom.real", "zoom"));
        assert!(process_matches("TeamViewer", "teamviewer"));
        assert!(!process_matches("obsidian", "obs"));
        assert!(!process_matches("zoomer", "zoom"));
        assert!(!process_matches("myobs", "obs"));
        assert!(!process_matches("bash", ""));
    }

    #[test]
    fn changes_list_only_what_changed() {
        let config = Config::default();
        let before = evaluate(&config, &clean());
        assert!(evaluate(&config, &clean())
            .changes_since(&before)
            .is_empty());
        let after = evaluate(
            &config,
            &FixedFacts {
                processes: Some(vec!["x11vnc".into()]),
                ..clean()
            },
        );
        let changes = after.changes_since(&before);
        assert_eq!(changes.len(), 1);
        assert!(changes[0].contains("x11vnc") && changes[0].contains("[REFUSÉ]"));
    }
}
