//! What the launcher knows of the machine, behind one trait.
//!
//! The checks ([`crate::checks`]) are pure functions of a [`SystemFacts`];
//! tests give them [`FixedFacts`] (fake DMI strings, process list, display
//! count), or [`LinuxFacts`] rooted in a temporary directory of fake
//! `/sys` and `/proc` files. The real machine is [`RealFacts`]:
//!
//! - Linux: DMI strings from `/sys/class/dmi/id/*`, the `hypervisor` flag
//!   from `/proc/cpuinfo`, connected outputs from `/sys/class/drm/*/status`.
//! - Windows and macOS: processes through `sysinfo` as everywhere; the
//!   hypervisor bit of CPUID leaf 1 on x86-64; DMI strings and the display
//!   count are not read yet (reported as unknown, never as a finding). The
//!   designed sources are WMI `Win32_ComputerSystem` / `GetSystemMetrics
//!   (SM_CMONITORS)` and `sysctl kern.hv_vmm_present` /
//!   `CGGetActiveDisplayList`.

use std::path::PathBuf;

/// The facts the checks need. `None`: unknown on this platform.
pub trait SystemFacts {
    /// DMI (SMBIOS) strings as `(field, value)`, e.g. `("sys_vendor", "QEMU")`.
    fn dmi_strings(&self) -> Vec<(String, String)>;
    /// Whether the CPU reports running under a hypervisor.
    fn hypervisor_flag(&self) -> Option<bool>;
    /// Names of the running processes (`None`: the list could not be read).
    fn process_names(&self) -> Option<Vec<String>>;
    /// Connected displays.
    fn display_count(&self) -> Option<usize>;
}

/// Facts given by value: for tests and for dry runs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FixedFacts {
    pub dmi: Vec<(String, String)>,
    pub hypervisor: Option<bool>,
    pub processes: Option<Vec<String>>,
    pub displays: Option<usize>,
}

impl SystemFacts for FixedFacts {
    fn dmi_strings(&self) -> Vec<(String, String)> {
        self.dmi.clone()
    }
    fn hypervisor_flag(&self) -> Option<bool> {
        self.hypervisor
    }
    fn process_names(&self) -> Option<Vec<String>> {
        self.processes.clone()
    }
    fn display_count(&self) -> Option<usize> {
        self.displays
    }
}

/// The DMI fields read from `/sys/class/dmi/id` (all readable without root).
pub const DMI_FIELDS: &[&str] = &[
    "sys_vendor",
    "product_name",
    "product_version",
    "board_vendor",
    "board_name",
    "bios_vendor",
    "chassis_vendor",
];

/// Linux facts read from a `/sys` and a `/proc` root (the real ones, or a
/// test's fake tree). Processes come from `sysinfo`, or from `fake_processes`.
#[derive(Debug, Clone)]
pub struct LinuxFacts {
    pub sys: PathBuf,
    pub proc: PathBuf,
    pub fake_processes: Option<Vec<String>>,
}

impl Default for LinuxFacts {
    fn default() -> Self {
        Self {
            sys: "/sys".into(),
            proc: "/proc".into(),
            fake_processes: None,
        }
    }
}

impl SystemFacts for LinuxFacts {
    fn dmi_strings(&self) -> Vec<(String, String)> {
        let dir = self.sys.join("class/dmi/id");
        DMI_FIELDS
            .iter()
            .filter_map(|field| {
                let value = std::fs::read_to_string(dir.join(field)).ok()?;
                Some((field.to_string(), value.trim().to_string()))
            })
            .collect()
    }

    fn hypervisor_flag(&self) -> Option<bool> {
        let text = std::fs::read_to_string(self.proc.join("cpuinfo")).ok()?;
        Some(cpuinfo_has_hypervisor(&text))
    }

    fn process_names(&self) -> Option<Vec<String>> {
        match &self.fake_processes {
            Some(list) => Some(list.clone()),
            None => sysinfo_process_names(),
        }
    }

    fn display_count(&self) -> Option<usize> {
        let entries = std::fs::read_dir(self.sys.join("class/drm")).ok()?;
        let connected = entries
            .filter_map(Result::ok)
            .filter(|e| {
                std::fs::read_to_string(e.path().join("status"))
                    .is_ok_and(|s| s.trim() == "connected")
            })
            .count();
        Some(connected)
    }
}

/// Whether a `/proc/cpuinfo` text lists the `hypervisor` flag (x86) on any
/// processor.
pub fn cpuinfo_has_hypervisor(text: &str) -> bool {
    text.lines().any(|line| {
        line.split_once(':').is_some_and(|(key, value)| {
            key.trim() == "flags" && value.split_whitespace().any(|f| f == "hypervisor")
        })
    })
}

/// Names of the running processes, from `sysinfo` (every platform).
pub fn sysinfo_process_names() -> Option<Vec<String>> {
    use sysinfo::{ProcessRefreshKind, ProcessesToUpdate, System};
    let mut system = System::new().ok()?;
    system.refresh_processes_specifics(ProcessesToUpdate::All, true, ProcessRefreshKind::nothing());
    let mut names: Vec<String> = system
        .processes()
        .values()
        .map(|p| p.name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names.dedup();
    Some(names)
}

/// The running machine.
#[derive(Debug, Clone, Default)]
pub struct RealFacts {
    #[cfg(target_os = "linux")]
    linux: LinuxFacts,
}

impl SystemFacts for RealFacts {
    fn dmi_strings(&self) -> Vec<(String, String)> {
        #[cfg(target_os = "linux")]
        return self.linux.dmi_strings();
        #[cfg(not(target_os = "linux"))]
        return Vec::new();
    }

    fn hypervisor_flag(&self) -> Option<bool> {
        #[cfg(target_os = "linux")]
        return self.linux.hypervisor_flag();
        // Bit 31 of ECX, CPUID leaf 1: "running under a hypervisor".
        // `__cpuid` is a safe function in current Rust, unsafe in older ones
        // (the workspace allows 1.85). SAFETY: leaf 1 exists on every x86-64 processor.
        #[cfg(all(not(target_os = "linux"), target_arch = "x86_64"))]
        #[allow(unused_unsafe)]
        return Some(unsafe { std::arch::x86_64::__cpuid(1) }.ecx & (1 << 31) != 0);
        #[cfg(all(not(target_os = "linux"), not(target_arch = "x86_64")))]
        return None;
    }

    fn process_names(&self) -> Option<Vec<String>> {
        sysinfo_process_names()
    }

    fn display_count(&self) -> Option<usize> {
        #[cfg(target_os = "linux")]
        return self.linux.display_count();
        #[cfg(not(target_os = "linux"))]
        return None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hypervisor_flag_is_read_from_the_flags_line_only() {
        let vm = "processor\t: 0\nflags\t\t: fpu vme sse2 hypervisor lahf_lm\n";
        let metal =
            "processor\t: 0\nflags\t\t: fpu vme sse2 lahf_lm\nmodel name\t: hypervisor-ish\n";
        assert!(cpuinfo_has_hypervisor(vm));
        assert!(!cpuinfo_has_hypervisor(metal));
    }

    #[test]
    fn linux_facts_read_a_fake_sys_and_proc_tree() {
        let root = tempfile::tempdir().unwrap();
        let sys = root.path().join("sys");
        let proc = root.path().join("proc");
        std::fs::create_dir_all(sys.join("class/dmi/id")).unwrap();
        std::fs::create_dir_all(&proc).unwrap();
        std::fs::write(sys.join("class/dmi/id/sys_vendor"), "QEMU\n").unwrap();
        std::fs::write(sys.join("class/dmi/id/product_name"), "Standard PC\n").unwrap();
        for (name, status) in [
            ("card0-eDP-1", "connected"),
            ("card0-HDMI-A-1", "connected"),
            ("card0-DP-1", "disconnected"),
        ] {
            std::fs::create_dir_all(sys.join("class/drm").join(name)).unwrap();
            std::fs::write(sys.join("class/drm").join(name).join("status"), status).unwrap();
        }
        std::fs::create_dir_all(sys.join("class/drm/card0")).unwrap();
        std::fs::write(proc.join("cpuinfo"), "flags\t: sse2 hypervisor\n").unwrap();
        let facts = LinuxFacts {
            sys,
            proc,
            fake_processes: Some(vec!["bash".into()]),
        };
        assert_eq!(
            facts.dmi_strings(),
            vec![
                ("sys_vendor".to_string(), "QEMU".to_string()),
                ("product_name".to_string(), "Standard PC".to_string())
            ]
        );
        assert_eq!(facts.display_count(), Some(2));
        assert_eq!(facts.hypervisor_flag(), Some(true));
        assert_eq!(facts.process_names(), Some(vec!["bash".to_string()]));
    }

    #[test]
    fn missing_files_are_unknown_not_findings() {
        let root = tempfile::tempdir().unwrap();
        let facts = LinuxFacts {
            sys: root.path().join("sys"),
            proc: root.path().join("proc"),
            fake_processes: Some(Vec::new()),
        };
        assert!(facts.dmi_strings().is_empty());
        assert_eq!(facts.display_count(), None);
        assert_eq!(facts.hypervisor_flag(), None);
    }

    #[test]
    fn sysinfo_sees_this_test_process() {
        let names = sysinfo_process_names().expect("sysinfo lists processes here");
        assert!(!names.is_empty());
    }
}
