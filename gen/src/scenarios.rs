//! Injected attacks, each satisfying one bundled rule precisely, and their near misses, which
//! look alike but must not alert under Elasticsearch EQL semantics.
//!
//! Every injection happens in a fresh SSH session on a random host (its own login shell, and for
//! commands run as root, its own `sudo -i` root shell), so no two injections share a process and
//! joins on entity ids cannot cross them.

use std::rc::Rc;

use crate::background::{login_shell, render, Gen};
use crate::events::{NetSpec, Proc, ProcAction};
use crate::truth::Scenario;
use crate::vocab::{self, Account};

/// The IMDS rule (`rules/imds.eql`).
pub const IMDS_RULE: &str = "Unusual Instance Metadata Service (IMDS) API Request";

/// The kinds of IMDS near miss.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NearMiss {
    /// The connection comes from a process with another parent entity id.
    WrongParent,
    /// The connection comes 1.5 s after the exec (maxspan is 1 s).
    Gap1500ms,
    /// Branch 3 (command line mentions the IP) from an excluded working directory.
    ExcludedWorkingDir,
    /// Branch 1 with `host.os.type: "Linux"`: `==` is case-sensitive.
    OsTypeCase,
    /// The connection precedes the exec.
    ConnectFirst,
    /// The connection goes to 169.254.169.253 (the Amazon DNS resolver), not the IMDS.
    OtherAddress,
}

impl NearMiss {
    /// Every kind, in a fixed order.
    pub const ALL: [NearMiss; 6] = [
        NearMiss::WrongParent,
        NearMiss::Gap1500ms,
        NearMiss::ExcludedWorkingDir,
        NearMiss::OsTypeCase,
        NearMiss::ConnectFirst,
        NearMiss::OtherAddress,
    ];

    /// The name used in the truth file.
    pub fn as_str(self) -> &'static str {
        match self {
            NearMiss::WrongParent => "wrong_parent",
            NearMiss::Gap1500ms => "gap_1500ms",
            NearMiss::ExcludedWorkingDir => "excluded_working_dir",
            NearMiss::OsTypeCase => "os_type_case",
            NearMiss::ConnectFirst => "connect_first",
            NearMiss::OtherAddress => "other_address",
        }
    }
}

/// The attacks other than IMDS: (kind, rule, near-miss kind). See [`Gen::inject_attack`] for
/// what each one and its near miss is.
pub const ATTACKS: &[(&str, &str, &str)] = &[
    (
        "reverse_shell",
        "Potential Reverse Shell",
        "near_reverse_shell_6s_gap",
    ),
    (
        "suid_find_shell",
        "Privilege Escalation via SUID/SGID",
        "near_suid_find_real_root",
    ),
    ("chmod_setuid", "SUID/SGID Bit Set", "near_chmod_0755"),
    (
        "cron_file",
        "Cron Job Created or Modified",
        "near_cron_swap_file",
    ),
    (
        "systemd_unit",
        "Systemd Service Created",
        "near_systemd_unit_by_dpkg",
    ),
    (
        "history_deleted",
        "Tampering of Shell Command-Line History",
        "near_history_backup_deleted",
    ),
    (
        "unshadow",
        "Potential Linux Credential Dumping via Unshadow",
        "near_unshadow_two_args",
    ),
    (
        "auditd_stopped",
        "Attempt to Disable Auditd Service",
        "near_auditd_stop_by_prerm",
    ),
    (
        "cat_egress",
        "Network Activity Detected via cat",
        "near_cat_private_address",
    ),
    (
        "uid0_user",
        "Potential Linux Backdoor User Account Creation",
        "near_usermod_other_uid",
    ),
    (
        "telegram_api",
        "Linux Telegram API Request",
        "near_telegram_website",
    ),
    (
        "ufw_disabled",
        "Attempt to Disable IPTables or Firewall",
        "near_ufw_status",
    ),
    (
        "shred_remove",
        "File Deletion via Shred",
        "near_shred_by_logrotate",
    ),
    (
        "journal_vacuum",
        "Attempt to Clear Logs via Journalctl",
        "near_journal_vacuum_by_cron_script",
    ),
    (
        "suid_enumeration",
        "SUID/SGUID Enumeration Detected",
        "near_suid_enumeration_by_root",
    ),
    (
        "hack_tool",
        "Potential Linux Hack Tool Launched",
        "near_hack_tool_lookalike",
    ),
    (
        "imds_role_credentials",
        "Suspicious Instance Metadata Service (IMDS) API Command Line Execution",
        "near_imds_role_listing",
    ),
];

const MS: i64 = 1_000_000;
const SEC: i64 = 1_000_000_000;

/// An injection in progress: its host, session and documents.
struct Inj {
    h: usize,
    login: Account,
    shell: Rc<Proc>,
    ids: Vec<String>,
}

/// Who runs an attack's command, and from where.
#[derive(Clone, Copy)]
enum By {
    /// The login user, from the session's shell.
    Login,
    /// Root, from a fresh `sudo -i` root shell.
    Root,
    /// Root, through an intermediate parent (its executable and command line) that the root shell
    /// started in `/` a second earlier: the excluded parents of near misses.
    RootVia(&'static str, &'static str),
}

/// What one command runs: who runs it, its executable and its command line.
type Run = (By, &'static str, &'static str);

/// The attacks that are a single command: (kind, what the attack runs, what its near miss runs).
const ONE_COMMAND: &[(&str, Run, Run)] = &[
    (
        "chmod_setuid",
        (By::Root, "/usr/bin/chmod", "chmod 4755 /var/tmp/.font-unix/dbus-helper"),
        (By::Root, "/usr/bin/chmod", "chmod 0755 /usr/local/bin/backup-helper"),
    ),
    (
        "history_deleted",
        (By::Login, "/usr/bin/rm", "rm -f /home/{user}/.bash_history"),
        (By::Login, "/usr/bin/rm", "rm -f /home/{user}/.bash_history.bak"),
    ),
    (
        "unshadow",
        (By::Root, "/usr/sbin/unshadow", "unshadow /etc/passwd /etc/shadow"),
        (By::Root, "/usr/sbin/unshadow", "unshadow --help"),
    ),
    (
        "auditd_stopped",
        (By::Root, "/usr/bin/systemctl", "systemctl stop auditd"),
        (
            By::RootVia(
                "/var/lib/dpkg/info/auditd.prerm",
                "/var/lib/dpkg/info/auditd.prerm remove",
            ),
            "/usr/bin/systemctl",
            "systemctl stop auditd",
        ),
    ),
    (
        "uid0_user",
        (By::Root, "/usr/sbin/usermod", "usermod -o -u 0 svc-backup"),
        (By::Root, "/usr/sbin/usermod", "usermod -o -u 1500 svc-backup"),
    ),
    (
        "telegram_api",
        (By::Login, "/usr/bin/curl", "curl -s -X POST https://api.telegram.org/bot{n}{h}:AAH{h}/sendMessage -d chat_id={n}{n}"),
        (By::Login, "/usr/bin/curl", "curl -s https://core.telegram.org/bots/api"),
    ),
    (
        "ufw_disabled",
        (By::Root, "/usr/sbin/ufw", "ufw disable"),
        (By::Root, "/usr/sbin/ufw", "ufw status verbose"),
    ),
    (
        "shred_remove",
        (By::Root, "/usr/bin/shred", "shred -u -z /var/tmp/.font-unix/loot.tar"),
        (
            By::RootVia("/usr/sbin/logrotate", "/usr/sbin/logrotate /etc/logrotate.d/vault-audit"),
            "/usr/bin/shred",
            "shred -u /var/log/vault/audit.log.4",
        ),
    ),
    (
        "journal_vacuum",
        (By::Root, "/usr/bin/journalctl", "journalctl --vacuum-time=1s"),
        (
            By::RootVia("/usr/bin/dash", "/bin/sh /etc/cron.daily/clean-journal-logs"),
            "/usr/bin/journalctl",
            "journalctl --vacuum-time=14d",
        ),
    ),
    (
        "suid_enumeration",
        (By::Login, "/usr/bin/find", "find / -perm -4000 -type f"),
        (By::Root, "/usr/bin/find", "find / -perm -4000 -type f"),
    ),
    (
        "hack_tool",
        (By::Login, "/usr/bin/hydra", "hydra -l root -P /home/{user}/wordlists/top-1000.txt ssh://{ip}"),
        (By::Login, "/usr/bin/johnny", "johnny"),
    ),
    (
        "imds_role_credentials",
        (By::Login, "/usr/bin/curl", "curl -s http://169.254.169.254/latest/meta-data/iam/security-credentials/app-instance-role"),
        (By::Login, "/usr/bin/curl", "curl -s http://169.254.169.254/latest/meta-data/iam/security-credentials/"),
    ),
];

/// `attack` for the attack, `near` for its near miss.
fn pick<T>(near_miss: bool, attack: T, near: T) -> T {
    if near_miss {
        near
    } else {
        attack
    }
}

impl Gen {
    /// A fresh SSH session on a random host, starting a minute before `now`.
    fn session(&mut self, now: i64) -> Inj {
        let h = self.rng.below(self.hosts.len() as u64) as usize;
        let login = vocab::login_account(self.hosts[h].host.os);
        let shell = login_shell(&mut self.rng, &mut self.hosts[h], now - 60 * SEC, login);
        Inj {
            h,
            login,
            shell,
            ids: Vec::new(),
        }
    }

    /// A child of `parent` on the injection's host.
    #[allow(clippy::too_many_arguments)] // what a process is, as `Host::spawn` takes it
    fn spawn_in(
        &mut self,
        inj: &Inj,
        parent: &Rc<Proc>,
        exe: &str,
        cmd: &str,
        wd: &str,
        time: i64,
        user: Account,
    ) -> Rc<Proc> {
        let host = self.hosts[inj.h].host.name.clone();
        let args = render(&mut self.rng, cmd, inj.login.user, &host);
        let wd = if wd.is_empty() {
            parent.working_directory.clone()
        } else {
            wd.to_owned()
        };
        let step = self.rng.below(7) as u32;
        let mut p = self.hosts[inj.h]
            .host
            .spawn(step, exe, args, &wd, time, user, Some(parent));
        p.group_leader = None;
        Rc::new(p)
    }

    /// A root shell (`sudo -i`) in the injection's session.
    fn root_shell(&mut self, inj: &Inj, time: i64) -> Rc<Proc> {
        let shell = inj.shell.clone();
        let mut sudo = (*self.spawn_in(
            inj,
            &shell,
            "/usr/bin/sudo",
            "sudo -i",
            "",
            time - 30 * SEC,
            inj.login,
        ))
        .clone();
        sudo.user = vocab::setuid_root(inj.login);
        let sudo = Rc::new(sudo);
        let mut root = (*self.spawn_in(
            inj,
            &sudo,
            "/usr/bin/bash",
            "-bash",
            "/root",
            time - 29 * SEC,
            vocab::ROOT,
        ))
        .clone();
        root.real = vocab::ROOT;
        Rc::new(root)
    }

    fn exec(&mut self, inj: &mut Inj, time: i64, p: &Proc) {
        self.exec_os(inj, time, p, "linux");
    }

    fn exec_os(&mut self, inj: &mut Inj, time: i64, p: &Proc, os_type: &str) {
        let (doc, id) = self.proc_doc(inj.h, time, p, ProcAction::Exec, os_type);
        inj.ids.push(id);
        self.schedule(time, doc);
    }

    fn connect(&mut self, inj: &mut Inj, time: i64, p: &Proc, ip: &str, port: u16) {
        let local_port = self.rng.range(32768, 60999) as u16;
        let net = NetSpec {
            action: "connection_attempted",
            egress: true,
            remote_ip: ip,
            remote_port: port,
            local_port,
            transport: "tcp",
        };
        let (doc, id) = self.net_doc(inj.h, time, p, &net);
        inj.ids.push(id);
        self.schedule(time, doc);
    }

    fn file(&mut self, inj: &mut Inj, time: i64, p: &Proc, action: &str, path: &str) {
        let (doc, id) = self.file_doc(inj.h, time, p, action, path, "");
        inj.ids.push(id);
        self.schedule(time, doc);
    }

    fn finish(
        &self,
        inj: Inj,
        kind: &'static str,
        rule: &'static str,
        near_miss: bool,
    ) -> Scenario {
        Scenario {
            kind,
            rule,
            near_miss,
            host_id: self.hosts[inj.h].host.id.clone(),
            event_ids: inj.ids,
        }
    }

    /// Schedules true IMDS sequence number `n` (round-robin over the rule's three branches)
    /// starting at `now`.
    pub(crate) fn inject_imds(&mut self, now: i64, n: u64) -> Scenario {
        let mut inj = self.session(now);
        let parent = inj.shell.clone();
        let gap = self.rng.range(MS as u64, 900 * MS as u64) as i64;
        let login = inj.login;
        let (kind, exe, cmd, wd): (&str, &str, &str, &str) = match n % 5 {
            // branch 1: a tool from the list
            0 => ("imds_curl", "/usr/bin/curl", "curl -s http://169.254.169.254/latest/meta-data/iam/security-credentials/", ""),
            1 => ("imds_wget", "/usr/bin/wget", "wget -q -O - http://169.254.169.254/latest/user-data", "/tmp"),
            2 => ("imds_python", "/usr/bin/python3.10", "|python3.10|-c|import urllib.request as u;print(u.urlopen(\"http://169.254.169.254/latest/api/token\").read())", ""),
            // branch 2: an executable in /tmp, whatever its name
            3 => ("imds_tmp_binary", "/tmp/.cache/kdevtmpfsi", "/tmp/.cache/kdevtmpfsi", "/tmp/.cache"),
            // branch 3: the command line names the IMDS address
            _ => ("imds_apt_helper", "/usr/lib/apt/apt-helper", "/usr/lib/apt/apt-helper download-file http://169.254.169.254/latest/meta-data/iam/info /var/tmp/.i", ""),
        };
        let p = self.spawn_in(&inj, &parent, exe, cmd, wd, now, login);
        self.exec(&mut inj, now, &p);
        // Branch 3 connects from a sibling: a process with the same parent is what the rule's
        // join allows.
        let connector = if n % 5 == 4 {
            self.spawn_in(
                &inj,
                &parent,
                "/usr/bin/bash",
                "bash",
                "",
                now + gap / 2,
                login,
            )
        } else {
            p
        };
        self.connect(&mut inj, now + gap, &connector, "169.254.169.254", 80);
        self.finish(inj, kind, IMDS_RULE, false)
    }

    /// Schedules an IMDS near miss of the given kind starting at `now`.
    pub(crate) fn inject_imds_near(&mut self, now: i64, kind: NearMiss) -> Scenario {
        let mut inj = self.session(now);
        let parent = inj.shell.clone();
        let login = inj.login;
        let gap = self.rng.range(MS as u64, 900 * MS as u64) as i64;
        let curl = "curl -s http://169.254.169.254/latest/meta-data/";
        match kind {
            NearMiss::WrongParent => {
                let p = self.spawn_in(&inj, &parent, "/usr/bin/curl", curl, "", now, login);
                let other_shell =
                    login_shell(&mut self.rng, &mut self.hosts[inj.h], now - 60 * SEC, login);
                let q = self.spawn_in(&inj, &other_shell, "/usr/bin/curl", curl, "", now, login);
                self.exec(&mut inj, now, &p);
                self.connect(&mut inj, now + gap, &q, "169.254.169.254", 80);
            }
            NearMiss::Gap1500ms => {
                let p = self.spawn_in(
                    &inj,
                    &parent,
                    "/usr/bin/wget",
                    "wget -qO- http://169.254.169.254/latest/meta-data/instance-id",
                    "/root",
                    now,
                    login,
                );
                self.exec(&mut inj, now, &p);
                self.connect(&mut inj, now + 1500 * MS, &p, "169.254.169.254", 80);
            }
            NearMiss::ExcludedWorkingDir => {
                let p = self.spawn_in(
                    &inj,
                    &parent,
                    "/opt/nessus_agent/sbin/nessus-agent-module",
                    "nessus-agent-module --probe http://169.254.169.254/latest/dynamic/instance-identity/document",
                    "/opt/nessus_agent/var/nessus/tmp",
                    now,
                    login,
                );
                self.exec(&mut inj, now, &p);
                self.connect(&mut inj, now + gap, &p, "169.254.169.254", 80);
            }
            NearMiss::OsTypeCase => {
                // `instance-data` resolves to the IMDS, so the command line does not name the address.
                let p = self.spawn_in(
                    &inj,
                    &parent,
                    "/usr/bin/curl",
                    "curl -s http://instance-data/latest/meta-data/",
                    "",
                    now,
                    login,
                );
                self.exec_os(&mut inj, now, &p, "Linux");
                self.connect(&mut inj, now + gap, &p, "169.254.169.254", 80);
            }
            NearMiss::ConnectFirst => {
                let q = self.spawn_in(&inj, &parent, "/usr/bin/bash", "bash", "", now, login);
                let p = self.spawn_in(&inj, &parent, "/usr/bin/curl", curl, "", now + gap, login);
                self.connect(&mut inj, now, &q, "169.254.169.254", 80);
                self.exec(&mut inj, now + gap, &p);
            }
            NearMiss::OtherAddress => {
                let p = self.spawn_in(
                    &inj,
                    &parent,
                    "/usr/bin/curl",
                    "curl -s http://169.254.169.253/",
                    "",
                    now,
                    login,
                );
                self.exec(&mut inj, now, &p);
                self.connect(&mut inj, now + gap, &p, "169.254.169.253", 80);
            }
        }
        self.finish(inj, kind.as_str(), IMDS_RULE, true)
    }

    /// Runs `exe` with command line `cmd` at `now`, as `by` says, and schedules its exec.
    fn command(&mut self, inj: &mut Inj, now: i64, by: By, exe: &str, cmd: &str) -> Rc<Proc> {
        let p = match by {
            By::Login => {
                let shell = inj.shell.clone();
                self.spawn_in(inj, &shell, exe, cmd, "", now, inj.login)
            }
            By::Root | By::RootVia(..) => {
                let mut parent = self.root_shell(inj, now);
                if let By::RootVia(via_exe, via_cmd) = by {
                    parent =
                        self.spawn_in(inj, &parent, via_exe, via_cmd, "/", now - SEC, vocab::ROOT);
                }
                self.spawn_in(inj, &parent, exe, cmd, "", now, vocab::ROOT)
            }
        };
        self.exec(inj, now, &p);
        p
    }

    /// Schedules attack `ATTACKS[k]` starting at `now`, or with `near_miss` its near miss, which
    /// differs from it only in what makes it miss. Each kind, as (attack; near miss):
    /// * `reverse_shell`: a `bash` connects to a public address and, within the 5 s maxspan,
    ///   starts `bash -i` (Potential Reverse Shell); the `bash -i` comes 6 s after the connection;
    /// * `suid_find_shell`: a setuid-root `find` (effective user 0, real user the login) runs
    ///   `-exec /bin/sh -p` (Privilege Escalation via SUID/SGID); the `find` runs through sudo
    ///   instead, so the real user is root too and the rule's `real_user.id != "0"` fails;
    /// * `chmod_setuid`: `chmod 4755` on a copied shell (SUID/SGID Bit Set); `chmod 0755` sets no
    ///   setuid bit (the rule's regex is anchored: `[24][0-9]{3}`);
    /// * `cron_file`: a root `tee` creates a file in `/etc/cron.d` (Cron Job Created or Modified);
    ///   vim's swap file there (extension `swp` is excluded);
    /// * `systemd_unit`: a root `cp` creates a `.service` under `/etc/systemd/system` (Systemd
    ///   Service Created); the unit file is created by `dpkg` (an excluded executable);
    /// * `history_deleted`: `rm -f /home/USER/.bash_history` (Tampering of Shell Command-Line
    ///   History); `rm -f ~/.bash_history.bak` (`:` without a wildcard matches the whole argument);
    /// * `unshadow`: `unshadow /etc/passwd /etc/shadow` (Credential Dumping via Unshadow);
    ///   `unshadow --help` (`args_count >= 3` fails);
    /// * `auditd_stopped`: `systemctl stop auditd` (Attempt to Disable Auditd Service); the same
    ///   from the package's `auditd.prerm` script (excluded parent);
    /// * `cat_egress`: `cat` started by a shell connects to a public address within 3 s
    ///   (Network Activity Detected via cat); to a private address (excluded by `cidrmatch`);
    /// * `uid0_user`: `usermod -o -u 0` (Potential Linux Backdoor User Account Creation);
    ///   `usermod -o -u 1500` (no argument `0`);
    /// * `telegram_api`: `curl` posts to `api.telegram.org` (Linux Telegram API Request); `curl`
    ///   of `core.telegram.org`;
    /// * `ufw_disabled`: `ufw disable` (Attempt to Disable IPTables or Firewall);
    ///   `ufw status verbose`;
    /// * `shred_remove`: `shred -u -z` (File Deletion via Shred); `shred -u` run by logrotate
    ///   (excluded parent);
    /// * `journal_vacuum`: `journalctl --vacuum-time=1s` (Attempt to Clear Logs via Journalctl);
    ///   `journalctl --vacuum-time` from `/etc/cron.daily/clean-journal-logs` (excluded parent
    ///   args);
    /// * `suid_enumeration`: `find / -perm -4000` by an unprivileged user (SUID/SGUID
    ///   Enumeration); the same by root (`user.Ext.real.id == "0"` is excluded);
    /// * `hack_tool`: `hydra` against SSH (Potential Linux Hack Tool Launched); `johnny`, a
    ///   look-alike of a listed tool name (`in~` has no wildcards);
    /// * `imds_role_credentials`: `curl` of a role's credentials from the IMDS, without a
    ///   connection (Suspicious IMDS API Command Line Execution); `curl` of the role listing,
    ///   `…/security-credentials/` with nothing after it (the pattern's `?` needs one more
    ///   character).
    pub(crate) fn inject_attack(&mut self, now: i64, k: usize, near_miss: bool) -> Scenario {
        let (attack, rule, near) = ATTACKS[k];
        let mut inj = self.session(now);
        let login = inj.login;
        let t1 = now + self.rng.range(2 * MS as u64, 800 * MS as u64) as i64;
        match attack {
            "reverse_shell" => {
                let b = self.command(&mut inj, now, By::Login, "/usr/bin/bash", "bash");
                self.connect(&mut inj, now + 5 * MS, &b, "45.77.65.211", 4444);
                // After the connection: within the 5 s maxspan, or 6 s after it.
                let t = if near_miss { now + 6 * SEC } else { t1 } + 5 * MS;
                let i = self.spawn_in(&inj, &b, "/usr/bin/bash", "bash -i", "", t, login);
                self.exec(&mut inj, t, &i);
            }
            "suid_find_shell" => {
                let (exe, cmd) = ("/usr/bin/find", "|find|.|-exec|/bin/sh|-p|;|-quit");
                if near_miss {
                    self.command(&mut inj, now, By::Root, exe, cmd);
                } else {
                    let shell = inj.shell.clone();
                    let mut p = (*self.spawn_in(&inj, &shell, exe, cmd, "", now, login)).clone();
                    p.user = vocab::setuid_root(login);
                    self.exec(&mut inj, now, &p);
                }
            }
            "cron_file" => {
                let (exe, cmd, path) = pick(
                    near_miss,
                    (
                        "/usr/bin/tee",
                        "tee /etc/cron.d/sysupdate",
                        "/etc/cron.d/sysupdate",
                    ),
                    (
                        "/usr/bin/vim",
                        "vim /etc/cron.d/sysupdate",
                        "/etc/cron.d/.sysupdate.swp",
                    ),
                );
                let p = self.command(&mut inj, now, By::Root, exe, cmd);
                self.file(&mut inj, t1, &p, "creation", path);
            }
            "systemd_unit" => {
                let root = self.root_shell(&inj, now);
                let (p, path) = if near_miss {
                    let apt = self.spawn_in(
                        &inj,
                        &root,
                        "/usr/bin/apt-get",
                        "apt-get install -y --no-install-recommends nginx-extras",
                        "",
                        now - 2 * SEC,
                        vocab::ROOT,
                    );
                    let p = self.spawn_in(&inj, &apt, "/usr/bin/dpkg", "/usr/bin/dpkg --status-fd 28 --no-triggers --unpack --auto-deconfigure /var/cache/apt/archives/nginx-extras_1.18.0-6ubuntu14.4_amd64.deb", "", now, vocab::ROOT);
                    (p, "/lib/systemd/system/nginx-extras.service")
                } else {
                    let p = self.spawn_in(&inj, &root, "/usr/bin/cp", "cp /var/tmp/.font-unix/dbus-helper.service /etc/systemd/system/dbus-helper.service", "", now, vocab::ROOT);
                    self.exec(&mut inj, now, &p);
                    (p, "/etc/systemd/system/dbus-helper.service")
                };
                self.file(&mut inj, t1, &p, "creation", path);
            }
            "cat_egress" => {
                let cmd = "cat /home/{user}/.config/app/token.json";
                let p = self.command(&mut inj, now, By::Login, "/usr/bin/cat", cmd);
                let ip = pick(near_miss, "45.77.65.211", "10.0.9.14");
                self.connect(&mut inj, t1, &p, ip, 443);
            }
            kind => {
                let &(_, attack_run, near_run) = ONE_COMMAND
                    .iter()
                    .find(|run| run.0 == kind)
                    .unwrap_or_else(|| unreachable!("attack kind {kind}"));
                let (by, exe, cmd) = pick(near_miss, attack_run, near_run);
                self.command(&mut inj, now, by, exe, cmd);
            }
        }
        self.finish(inj, pick(near_miss, attack, near), rule, near_miss)
    }
}
