//! A seeded generator of Elastic Defend Linux NDJSON, with injected IMDS credential-theft sequences.
//!
//! The documents follow the field sets of Elastic Defend's Linux process, network and file events
//! (endpoint-package `linux_process_fork_exec_exit`, `linux_network_attempted_accepted_and_disconnect`,
//! `linux_file_*`) and are 1.5–3 KB each, like real ones, so throughput measured on them means
//! something. Hundreds of hosts are interleaved with sub-millisecond spacing.
//!
//! Injected on top of the background (by default about one true sequence per thousand events, and
//! twice as many near misses, both round-robin over their variants):
//! * true sequences of the v2 IMDS rule (each of its three stage-1 branches), which must alert;
//! * near misses, which must not: a connection from a process with another parent, a 1.5 s gap,
//!   an excluded working directory on a branch-3 command line, `host.os.type: "Linux"` on a branch-1
//!   exec (`==` is case-sensitive), the connection before the exec, and 169.254.169.253.
//!
//! Background traffic never connects to 169.254.169.254, and every injection gets a parent entity id
//! of its own, so the number of alerts the rule must raise is exactly [`Truth::true_sequences`].
//!
//! Output is a pure function of the seed and the options: the PRNG is a local splitmix64, so no
//! dependency update can change the bundled sample.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fmt::Write as _;
use std::io::{self, Write};

use crate::time::{days_from_civil, write_rfc3339_nanos};

/// What to generate.
#[derive(Clone, Debug)]
pub struct GenConfig {
    /// Exactly this many documents are written.
    pub events: u64,
    /// The PRNG seed.
    pub seed: u64,
    /// Distinct hosts.
    pub hosts: u32,
    /// True sequences injected per million events (near misses: twice as many).
    pub inject_per_million: u32,
}

impl Default for GenConfig {
    fn default() -> Self {
        GenConfig {
            events: 5000,
            seed: 42,
            hosts: 200,
            inject_per_million: 1000,
        }
    }
}

/// What was injected: the ground truth the detector is checked against.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Truth {
    /// Documents written.
    pub events: u64,
    /// Bytes written (before compression).
    pub bytes: u64,
    /// IMDS sequences that must alert.
    pub true_sequences: u64,
    /// Near misses per kind, in [`NearMiss::ALL`] order.
    pub near_misses: [u64; NearMiss::ALL.len()],
}

impl Truth {
    /// The truth as a JSON object (the `--truth` sidecar).
    pub fn to_json(&self, cfg: &GenConfig) -> String {
        let mut near = serde_json::Map::new();
        for (kind, n) in NearMiss::ALL.iter().zip(self.near_misses) {
            near.insert(kind.as_str().to_owned(), n.into());
        }
        serde_json::json!({
            "events": self.events,
            "bytes": self.bytes,
            "seed": cfg.seed,
            "hosts": cfg.hosts,
            "true_sequences": self.true_sequences,
            "near_misses": near,
        })
        .to_string()
    }
}

/// The kinds of near miss.
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

/// splitmix64: tiny, fast, and good enough for synthetic data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (`n > 0`); the modulo bias is irrelevant here.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
    fn chance(&mut self, per_million: u32) -> bool {
        self.below(1_000_000) < u64::from(per_million)
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

fn hex(rng: &mut Rng, len: usize) -> String {
    (0..len)
        .map(|_| HEX[rng.below(16) as usize] as char)
        .collect()
}

fn uuid(rng: &mut Rng) -> String {
    let h = hex(rng, 32);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// Standard base64, as Defend uses for entity ids.
fn base64(input: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Appends `s` as a JSON string literal.
fn json_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn json_str_array(out: &mut String, items: &[String]) {
    out.push('[');
    for (i, s) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        json_str(out, s);
    }
    out.push(']');
}

struct OsInfo {
    variant: &'static str,
    family: &'static str,
    full: &'static str,
    kernel: &'static str,
    platform: &'static str,
    version: &'static str,
}

const OSES: &[OsInfo] = &[
    OsInfo {
        variant: "Ubuntu",
        family: "ubuntu",
        full: "Ubuntu 22.04.4",
        kernel: "6.5.0-1016-aws #16~22.04.1-Ubuntu SMP Fri Feb 16 15:42:02 UTC 2024",
        platform: "ubuntu",
        version: "22.04.4",
    },
    OsInfo {
        variant: "Amazon Linux",
        family: "amzn",
        full: "Amazon Linux 2023.4.20240416",
        kernel: "6.1.84-99.169.amzn2023.x86_64 #1 SMP PREEMPT_DYNAMIC",
        platform: "amzn",
        version: "2023.4.20240416",
    },
    OsInfo {
        variant: "Debian",
        family: "debian",
        full: "Debian 12.5",
        kernel: "6.1.0-18-cloud-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1",
        platform: "debian",
        version: "12.5",
    },
    OsInfo {
        variant: "RHEL",
        family: "rhel",
        full: "Red Hat Enterprise Linux 9.3",
        kernel: "5.14.0-362.24.1.el9_3.x86_64 #1 SMP PREEMPT_DYNAMIC",
        platform: "rhel",
        version: "9.3",
    },
];

/// A process as the events describe it.
#[derive(Clone)]
struct Proc {
    entity_id: String,
    pid: u32,
    executable: String,
    name: String,
    args: Vec<String>,
    working_directory: String,
    start: i64,
    user: (&'static str, &'static str),
    interactive: bool,
}

impl Proc {
    fn command_line(&self) -> String {
        self.args.join(" ")
    }
}

struct Host {
    id: String,
    name: String,
    ip: String,
    mac: String,
    agent_id: String,
    event_id_prefix: String,
    os: &'static OsInfo,
    entry_leader: Proc,
    /// Long-lived parents that spawn the background processes.
    parents: Vec<Proc>,
    /// Recently started children, for end, network and file events.
    recent: Vec<(Proc, usize)>,
    next_pid: u32,
}

/// Background programs: (executable, argv, working directory). None of them mention the IMDS.
const PROGRAMS: &[(&str, &[&str], &str)] = &[
    ("/usr/bin/ls", &["ls", "-la", "/var/log"], "/home/ubuntu"),
    (
        "/usr/bin/grep",
        &["grep", "-r", "ERROR", "/var/log/syslog"],
        "/root",
    ),
    ("/usr/bin/cat", &["cat", "/etc/os-release"], "/"),
    (
        "/usr/bin/systemctl",
        &["systemctl", "is-active", "nginx"],
        "/",
    ),
    (
        "/usr/bin/ps",
        &["ps", "-eo", "pid,ppid,cmd,%mem,%cpu", "--sort=-%mem"],
        "/root",
    ),
    (
        "/usr/bin/python3",
        &[
            "python3",
            "/opt/app/manage.py",
            "runjobs",
            "--queue=default",
        ],
        "/opt/app",
    ),
    ("/usr/bin/awk", &["awk", "{print $1}", "/proc/loadavg"], "/"),
    (
        "/usr/sbin/logrotate",
        &["logrotate", "/etc/logrotate.conf"],
        "/",
    ),
    ("/usr/bin/apt-get", &["apt-get", "-qq", "update"], "/root"),
    (
        "/usr/bin/git",
        &["git", "fetch", "--prune", "origin"],
        "/srv/app",
    ),
    (
        "/usr/bin/node",
        &["node", "/srv/web/server.js", "--port", "3000"],
        "/srv/web",
    ),
    ("/usr/bin/du", &["du", "-sh", "/var/lib/docker"], "/"),
    (
        "/usr/bin/sed",
        &["sed", "-i", "s/^#Port 22/Port 22/", "/etc/ssh/sshd_config"],
        "/root",
    ),
    (
        "/usr/bin/find",
        &["find", "/tmp", "-mtime", "+7", "-delete"],
        "/",
    ),
    ("/usr/bin/sleep", &["sleep", "30"], "/"),
    ("/usr/bin/uname", &["uname", "-r"], "/home/ec2-user"),
    (
        "/usr/bin/curl",
        &[
            "curl",
            "-fsS",
            "https://api.github.com/repos/elastic/beats/releases/latest",
        ],
        "/home/ubuntu",
    ),
    ("/usr/bin/id", &["id", "-u"], "/"),
    (
        "/usr/bin/tar",
        &["tar", "-czf", "/var/backups/etc.tgz", "/etc"],
        "/var/backups",
    ),
    (
        "/usr/bin/dockerd",
        &[
            "dockerd",
            "-H",
            "fd://",
            "--containerd=/run/containerd/containerd.sock",
        ],
        "/",
    ),
];

/// Long-lived parents.
const PARENTS: &[(&str, &[&str], &str)] = &[
    ("/usr/bin/bash", &["-bash"], "/home/ubuntu"),
    (
        "/usr/sbin/cron",
        &["/usr/sbin/cron", "-f", "-P"],
        "/var/spool/cron",
    ),
    ("/usr/lib/systemd/systemd", &["/sbin/init", "splash"], "/"),
    (
        "/usr/bin/containerd-shim-runc-v2",
        &[
            "/usr/bin/containerd-shim-runc-v2",
            "-namespace",
            "moby",
            "-id",
            "8d38b2f18290e973c5ea8f9ee207e970a8aa9191fa89bf3d4ea2a126f2f010a6",
        ],
        "/run/containerd/io.containerd.runtime.v2.task/moby",
    ),
    ("/usr/bin/sudo", &["sudo", "-i"], "/home/ec2-user"),
    (
        "/usr/bin/python3",
        &[
            "/usr/bin/python3",
            "/usr/bin/supervisord",
            "-n",
            "-c",
            "/etc/supervisor/supervisord.conf",
        ],
        "/",
    ),
];

const USERS: &[(&str, &str)] = &[
    ("0", "root"),
    ("1000", "ubuntu"),
    ("1001", "ec2-user"),
    ("33", "www-data"),
];

const REMOTE_IPS: &[&str] = &[
    "140.82.112.3",
    "151.101.1.69",
    "52.94.236.248",
    "10.0.12.7",
    "10.0.3.41",
    "172.31.40.12",
    "34.117.59.81",
    "185.125.190.36",
    "8.8.8.8",
];

const FILE_PATHS: &[&str] = &[
    "/var/log/app/worker.log",
    "/tmp/tmp.k3JxQ2bL9a",
    "/etc/nginx/conf.d/default.conf",
    "/var/lib/apt/lists/partial/archive.ubuntu.com_ubuntu_dists_jammy_InRelease",
    "/home/ubuntu/.bash_history",
    "/var/backups/etc.tgz",
    "/srv/app/.git/FETCH_HEAD",
    "/run/containerd/io.containerd.runtime.v2.task/moby/config.json",
];

/// An event waiting for its time (injections schedule events ahead).
struct Pending {
    time: i64,
    seq: u64,
    doc: String,
}

impl PartialEq for Pending {
    fn eq(&self, o: &Self) -> bool {
        (self.time, self.seq) == (o.time, o.seq)
    }
}
impl Eq for Pending {}
impl PartialOrd for Pending {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Pending {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        (self.time, self.seq).cmp(&(o.time, o.seq))
    }
}

/// The network side of an event.
struct Net<'a> {
    action: &'static str,
    etype: &'static str,
    direction: &'static str,
    dest_ip: &'a str,
    dest_port: u16,
    src_port: u16,
}

struct Gen {
    rng: Rng,
    hosts: Vec<Host>,
    event_seq: u64,
    pending: BinaryHeap<Reverse<Pending>>,
    pending_seq: u64,
    true_count: u64,
    near_count: u64,
}

impl Gen {
    fn new(cfg: &GenConfig, start: i64) -> Gen {
        let mut rng = Rng(cfg.seed ^ 0x005E_ED0F_E01D);
        let mut hosts = Vec::with_capacity(cfg.hosts.max(1) as usize);
        for i in 0..cfg.hosts.max(1) {
            let (a, b, c) = (rng.range(0, 63), rng.range(0, 255), rng.range(2, 254));
            let ip = format!("10.{a}.{b}.{c}");
            let name = format!("ip-10-{a}-{b}-{c}");
            let agent_id = uuid(&mut rng);
            let mac = format!(
                "02-{}-{}-{}-{}-{}",
                hex(&mut rng, 2),
                hex(&mut rng, 2),
                hex(&mut rng, 2),
                hex(&mut rng, 2),
                hex(&mut rng, 2)
            )
            .to_uppercase();
            let os = &OSES[(i as usize) % OSES.len()];
            let mut host = Host {
                id: hex(&mut rng, 32),
                name,
                ip,
                mac,
                event_id_prefix: base64(&rng.next().to_le_bytes()[..6]) + "/g6QHP1vO",
                agent_id,
                os,
                entry_leader: placeholder_proc(),
                parents: Vec::new(),
                recent: Vec::new(),
                next_pid: rng.range(1000, 30_000) as u32,
            };
            let boot = start - rng.range(3600, 30 * 86_400) as i64 * 1_000_000_000;
            host.entry_leader = new_proc(
                &mut rng,
                &mut host,
                "/usr/sbin/sshd",
                &["sshd: ubuntu [priv]"],
                "/",
                boot,
                ("0", "root"),
            );
            for _ in 0..4 {
                let (exe, args, wd) = *rng.pick(PARENTS);
                let t = boot + rng.range(1, 3000) as i64 * 1_000_000_000;
                let user = *rng.pick(USERS);
                let p = new_proc(&mut rng, &mut host, exe, args, wd, t, user);
                host.parents.push(p);
            }
            hosts.push(host);
        }
        Gen {
            rng,
            hosts,
            event_seq: 100_000,
            pending: BinaryHeap::new(),
            pending_seq: 0,
            true_count: 0,
            near_count: 0,
        }
    }

    fn schedule(&mut self, time: i64, doc: String) {
        self.pending_seq += 1;
        self.pending.push(Reverse(Pending {
            time,
            seq: self.pending_seq,
            doc,
        }));
    }

    /// Writes the fields every Defend event carries; leaves the object open after `"process":{`.
    #[allow(clippy::too_many_arguments)] // one call site per event kind; a struct would only rename them
    fn header(
        &mut self,
        out: &mut String,
        h: usize,
        time: i64,
        dataset: &str,
        category: &str,
        etype: &str,
        action: &str,
        os_type: &str,
        user: (&str, &str),
    ) {
        self.event_seq += 1;
        let host = &self.hosts[h];
        // Defend event ids are a per-agent prefix and a running counter.
        let ev_id = format!("{}++++{:X}", host.event_id_prefix, self.event_seq);
        out.push_str("{\"@timestamp\":\"");
        write_rfc3339_nanos(out, time);
        let _ = write!(
            out,
            "\",\"agent\":{{\"id\":\"{aid}\",\"type\":\"endpoint\",\"version\":\"8.14.0\"}},\
             \"data_stream\":{{\"dataset\":\"{dataset}\",\"namespace\":\"default\",\"type\":\"logs\"}},\
             \"ecs\":{{\"version\":\"8.10.0\"}},\"elastic\":{{\"agent\":{{\"id\":\"{aid}\"}}}},\
             \"event\":{{\"action\":\"{action}\",\"category\":[\"{category}\"],\"created\":\"",
            aid = host.agent_id,
        );
        write_rfc3339_nanos(out, time);
        let _ = write!(
            out,
            "\",\"dataset\":\"{dataset}\",\"id\":\"{ev_id}\",\"kind\":\"event\",\"module\":\"endpoint\",\
             \"outcome\":\"unknown\",\"sequence\":{seq},\"type\":[\"{etype}\"]}},\
             \"host\":{{\"architecture\":\"x86_64\",\"hostname\":\"{name}\",\"id\":\"{hid}\",\
             \"ip\":[\"127.0.0.1\",\"::1\",\"{ip}\"],\"mac\":[\"{mac}\"],\"name\":\"{name}\",\
             \"os\":{{\"Ext\":{{\"variant\":\"{variant}\"}},\"family\":\"{family}\",\"full\":\"{full}\",\
             \"kernel\":\"{kernel}\",\"name\":\"Linux\",\"platform\":\"{platform}\",\"type\":\"{os_type}\",\
             \"version\":\"{version}\"}}}},\
             \"user\":{{\"Ext\":{{\"real\":{{\"id\":\"{uid}\",\"name\":\"{uname}\"}}}},\"id\":\"{uid}\",\"name\":\"{uname}\"}},\
             \"group\":{{\"Ext\":{{\"real\":{{\"id\":\"{uid}\",\"name\":\"{uname}\"}}}},\"id\":\"{uid}\",\"name\":\"{uname}\"}},",
            seq = self.event_seq,
            name = host.name,
            hid = host.id,
            ip = host.ip,
            mac = host.mac,
            variant = host.os.variant,
            family = host.os.family,
            full = host.os.full,
            kernel = host.os.kernel,
            platform = host.os.platform,
            version = host.os.version,
            uid = user.0,
            uname = user.1,
        );
    }

    /// The `process` object of a process event: full detail, parent included.
    fn process_block(out: &mut String, host: &Host, p: &Proc, parent: &Proc) {
        out.push_str("\"process\":{\"Ext\":{\"ancestry\":[");
        json_str(out, &parent.entity_id);
        out.push(',');
        json_str(out, &host.entry_leader.entity_id);
        out.push_str("]},\"args\":");
        json_str_array(out, &p.args);
        let _ = write!(out, ",\"args_count\":{},\"command_line\":", p.args.len());
        json_str(out, &p.command_line());
        out.push_str(",\"entity_id\":");
        json_str(out, &p.entity_id);
        let el = &host.entry_leader;
        let _ = write!(
            out,
            ",\"entry_leader\":{{\"entity_id\":\"{}\",\"entry_meta\":{{\"type\":\"sshd\",\"source\":{{\"ip\":\"203.0.113.7\"}}}},\
             \"executable\":\"{}\",\"name\":\"sshd\",\"pid\":{},\"interactive\":false}},\"executable\":",
            el.entity_id, el.executable, el.pid
        );
        json_str(out, &p.executable);
        let _ = write!(
            out,
            ",\"group_leader\":{{\"entity_id\":\"{}\"}},\"interactive\":{},\"name\":",
            p.entity_id, p.interactive
        );
        json_str(out, &p.name);
        out.push_str(",\"parent\":{\"args\":");
        json_str_array(out, &parent.args);
        let _ = write!(
            out,
            ",\"args_count\":{},\"command_line\":",
            parent.args.len()
        );
        json_str(out, &parent.command_line());
        out.push_str(",\"entity_id\":");
        json_str(out, &parent.entity_id);
        out.push_str(",\"executable\":");
        json_str(out, &parent.executable);
        let _ = write!(out, ",\"interactive\":{},\"name\":", parent.interactive);
        json_str(out, &parent.name);
        let _ = write!(out, ",\"pid\":{},\"start\":\"", parent.pid);
        write_rfc3339_nanos(out, parent.start);
        out.push_str("\",\"working_directory\":");
        json_str(out, &parent.working_directory);
        let _ = write!(
            out,
            "}},\"pid\":{},\"session_leader\":{{\"entity_id\":\"{}\"}},\"start\":\"",
            p.pid, host.entry_leader.entity_id
        );
        write_rfc3339_nanos(out, p.start);
        out.push_str("\",\"working_directory\":");
        json_str(out, &p.working_directory);
        let _ = write!(
            out,
            ",\"user\":{{\"id\":\"{}\",\"name\":\"{}\"}},\"group\":{{\"id\":\"{}\",\"name\":\"{}\"}}}}",
            p.user.0, p.user.1, p.user.0, p.user.1
        );
    }

    /// The lighter `process` object of network and file events.
    fn short_process_block(out: &mut String, host: &Host, p: &Proc, parent: &Proc) {
        out.push_str("\"process\":{\"Ext\":{\"ancestry\":[");
        json_str(out, &parent.entity_id);
        out.push(',');
        json_str(out, &host.entry_leader.entity_id);
        out.push_str("]},\"entity_id\":");
        json_str(out, &p.entity_id);
        let _ = write!(
            out,
            ",\"entry_leader\":{{\"entity_id\":\"{}\"}},\"executable\":",
            host.entry_leader.entity_id
        );
        json_str(out, &p.executable);
        out.push_str(",\"name\":");
        json_str(out, &p.name);
        out.push_str(",\"parent\":{\"entity_id\":");
        json_str(out, &parent.entity_id);
        let _ = write!(
            out,
            "}},\"pid\":{},\"session_leader\":{{\"entity_id\":\"{}\"}},\"group_leader\":{{\"entity_id\":\"{}\"}}}}",
            p.pid, host.entry_leader.entity_id, p.entity_id
        );
    }

    fn process_event(
        &mut self,
        h: usize,
        time: i64,
        p: &Proc,
        parent: &Proc,
        (etype, action): (&str, &str),
        os_type: &str,
    ) -> String {
        let mut out = String::with_capacity(3072);
        self.header(
            &mut out,
            h,
            time,
            "endpoint.events.process",
            "process",
            etype,
            action,
            os_type,
            p.user,
        );
        out.push_str("\"message\":\"Endpoint process event\",");
        Self::process_block(&mut out, &self.hosts[h], p, parent);
        out.push('}');
        out
    }

    fn network_event(
        &mut self,
        h: usize,
        time: i64,
        p: &Proc,
        parent: &Proc,
        net: &Net<'_>,
    ) -> String {
        let mut out = String::with_capacity(2560);
        self.header(
            &mut out,
            h,
            time,
            "endpoint.events.network",
            "network",
            net.etype,
            net.action,
            "linux",
            p.user,
        );
        let host_ip = self.hosts[h].ip.clone();
        let (src_ip, src_port, dst_ip, dst_port) = if net.direction == "egress" {
            (host_ip.as_str(), net.src_port, net.dest_ip, net.dest_port)
        } else {
            (net.dest_ip, net.src_port, host_ip.as_str(), net.dest_port)
        };
        let _ = write!(
            out,
            "\"message\":\"Endpoint network event\",\
             \"destination\":{{\"address\":\"{dst_ip}\",\"ip\":\"{dst_ip}\",\"port\":{dst_port}}},\
             \"source\":{{\"address\":\"{src_ip}\",\"ip\":\"{src_ip}\",\"port\":{src_port}}},\
             \"network\":{{\"direction\":\"{}\",\"transport\":\"tcp\",\"type\":\"ipv4\"}},",
            net.direction
        );
        Self::short_process_block(&mut out, &self.hosts[h], p, parent);
        out.push('}');
        out
    }

    fn file_event(&mut self, h: usize, time: i64, p: &Proc, parent: &Proc) -> String {
        let (etype, action) = *self.rng.pick(&[
            ("creation", "creation"),
            ("change", "modification"),
            ("deletion", "deletion"),
        ]);
        let path = *self.rng.pick(FILE_PATHS);
        let name = path.rsplit('/').next().unwrap_or(path);
        let ext = name.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
        let size = self.rng.range(0, 1 << 20);
        let inode = self.rng.range(100_000, 9_000_000);
        let mut out = String::with_capacity(2048);
        self.header(
            &mut out,
            h,
            time,
            "endpoint.events.file",
            "file",
            etype,
            action,
            "linux",
            p.user,
        );
        out.push_str("\"message\":\"Endpoint file event\",\"file\":{\"Ext\":{\"header_bytes\":\"");
        out.push_str(&hex(&mut self.rng, 16));
        let _ = write!(
            out,
            "\"}},\"extension\":\"{ext}\",\"inode\":\"{inode}\",\"name\":\"{name}\",\"path\":\"{path}\",\"size\":{size}}},"
        );
        Self::short_process_block(&mut out, &self.hosts[h], p, parent);
        out.push('}');
        out
    }

    /// One background event at `time`.
    fn background(&mut self, time: i64) -> String {
        let h = self.rng.below(self.hosts.len() as u64) as usize;
        let roll = self.rng.below(100);
        let have_recent = !self.hosts[h].recent.is_empty();
        if roll < 30 || !have_recent {
            // exec (or, rarely, fork) of a background program under a long-lived parent
            let pi = self.rng.below(self.hosts[h].parents.len() as u64) as usize;
            let (exe, args, wd) = *self.rng.pick(PROGRAMS);
            let user = *self.rng.pick(USERS);
            let mut host = std::mem::replace(&mut self.hosts[h], placeholder_host());
            let p = new_proc(
                &mut self.rng,
                &mut host,
                exe,
                args,
                wd,
                time - 150_000,
                user,
            );
            let parent = host.parents[pi].clone();
            if host.recent.len() >= 8 {
                let k = self.rng.below(8) as usize;
                host.recent.swap_remove(k);
            }
            host.recent.push((p.clone(), pi));
            self.hosts[h] = host;
            let kind = if self.rng.below(10) == 0 {
                ("start", "fork")
            } else {
                ("start", "exec")
            };
            return self.process_event(h, time, &p, &parent, kind, "linux");
        }
        let k = self.rng.below(self.hosts[h].recent.len() as u64) as usize;
        let (p, pi) = self.hosts[h].recent[k].clone();
        let parent = self.hosts[h].parents[pi].clone();
        if roll < 45 {
            self.hosts[h].recent.swap_remove(k);
            self.process_event(h, time, &p, &parent, ("end", "end"), "linux")
        } else if roll < 80 {
            let (action, etype, direction) = *self.rng.pick(&[
                ("connection_attempted", "start", "egress"),
                ("connection_accepted", "start", "ingress"),
                ("disconnect_received", "end", "egress"),
            ]);
            let dest = *self.rng.pick(REMOTE_IPS);
            let net = Net {
                action,
                etype,
                direction,
                dest_ip: dest,
                dest_port: *self.rng.pick(&[443, 80, 22, 5432, 6379]),
                src_port: self.rng.range(32768, 60999) as u16,
            };
            self.network_event(h, time, &p, &parent, &net)
        } else {
            self.file_event(h, time, &p, &parent)
        }
    }

    /// A fresh parent (a shell) for one injection, never reused, so injections cannot interact.
    fn fresh_parent(&mut self, h: usize, time: i64) -> Proc {
        let mut host = std::mem::replace(&mut self.hosts[h], placeholder_host());
        let p = new_proc(
            &mut self.rng,
            &mut host,
            "/usr/bin/bash",
            &["/bin/bash", "-i"],
            "/home/ubuntu",
            time - 60_000_000_000,
            ("1000", "ubuntu"),
        );
        self.hosts[h] = host;
        p
    }

    fn child(&mut self, h: usize, exe: &str, args: &[&str], wd: &str, time: i64) -> Proc {
        let mut host = std::mem::replace(&mut self.hosts[h], placeholder_host());
        let p = new_proc(
            &mut self.rng,
            &mut host,
            exe,
            args,
            wd,
            time,
            ("1000", "ubuntu"),
        );
        self.hosts[h] = host;
        p
    }

    fn imds_connect(&mut self, h: usize, time: i64, p: &Proc, parent: &Proc, ip: &str) -> String {
        let net = Net {
            action: "connection_attempted",
            etype: "start",
            direction: "egress",
            dest_ip: ip,
            dest_port: 80,
            src_port: self.rng.range(32768, 60999) as u16,
        };
        self.network_event(h, time, p, parent, &net)
    }

    /// Schedules a true IMDS sequence starting at `now`.
    fn inject_true(&mut self, now: i64) {
        let h = self.rng.below(self.hosts.len() as u64) as usize;
        let parent = self.fresh_parent(h, now);
        let gap = self.rng.range(1_000_000, 900_000_000) as i64;
        // Round-robin over the variants, so even a small sample exercises every branch.
        let variant = self.true_count % 5;
        self.true_count += 1;
        let (exe, args, wd): (&str, &[&str], &str) = match variant {
            // branch 1: a tool from the list
            0 => ("/usr/bin/curl", &["curl", "-s", "http://169.254.169.254/latest/meta-data/iam/security-credentials/"], "/home/ubuntu"),
            1 => ("/usr/bin/wget", &["wget", "-q", "-O", "-", "http://169.254.169.254/latest/user-data"], "/tmp"),
            2 => ("/usr/bin/python3.10", &["python3.10", "-c", "import urllib.request as u;print(u.urlopen(\"http://169.254.169.254/latest/api/token\").read())"], "/home/ubuntu"),
            // branch 2: an executable in /tmp, whatever its name
            3 => ("/tmp/.cache/kdevtmpfsi", &["/tmp/.cache/kdevtmpfsi"], "/tmp/.cache"),
            // branch 3: the command line names the IMDS address
            _ => ("/usr/bin/bash", &["bash", "-c", "exec 3<>/dev/tcp/169.254.169.254/80; echo -e \"GET /latest/meta-data/ HTTP/1.0\\r\\n\" >&3"], "/home/ubuntu"),
        };
        let p = self.child(h, exe, args, wd, now);
        let exec = self.process_event(h, now, &p, &parent, ("start", "exec"), "linux");
        // Branch 3 connects from a sibling (the shell's `/dev/tcp` is in the same process here,
        // but a sibling with the same parent is what the rule's join really allows).
        let connector = if variant == 4 {
            self.child(h, "/usr/bin/bash", &["bash"], "/home/ubuntu", now + gap / 2)
        } else {
            p.clone()
        };
        let conn = self.imds_connect(h, now + gap, &connector, &parent, "169.254.169.254");
        self.schedule(now, exec);
        self.schedule(now + gap, conn);
    }

    /// Schedules a near miss of the given kind starting at `now`.
    fn inject_near(&mut self, now: i64, kind: NearMiss) {
        let h = self.rng.below(self.hosts.len() as u64) as usize;
        let parent = self.fresh_parent(h, now);
        let gap = self.rng.range(1_000_000, 900_000_000) as i64;
        let curl_args: &[&str] = &["curl", "-s", "http://169.254.169.254/latest/meta-data/"];
        match kind {
            NearMiss::WrongParent => {
                let p = self.child(h, "/usr/bin/curl", curl_args, "/home/ubuntu", now);
                let other_parent = self.fresh_parent(h, now);
                let q = self.child(h, "/usr/bin/curl", curl_args, "/home/ubuntu", now);
                let exec = self.process_event(h, now, &p, &parent, ("start", "exec"), "linux");
                let conn = self.imds_connect(h, now + gap, &q, &other_parent, "169.254.169.254");
                self.schedule(now, exec);
                self.schedule(now + gap, conn);
            }
            NearMiss::Gap1500ms => {
                let p = self.child(
                    h,
                    "/usr/bin/wget",
                    &[
                        "wget",
                        "-qO-",
                        "http://169.254.169.254/latest/meta-data/instance-id",
                    ],
                    "/root",
                    now,
                );
                let exec = self.process_event(h, now, &p, &parent, ("start", "exec"), "linux");
                let conn =
                    self.imds_connect(h, now + 1_500_000_000, &p, &parent, "169.254.169.254");
                self.schedule(now, exec);
                self.schedule(now + 1_500_000_000, conn);
            }
            NearMiss::ExcludedWorkingDir => {
                let p = self.child(
                    h,
                    "/opt/nessus_agent/sbin/nessus-agent-module",
                    &[
                        "nessus-agent-module",
                        "--probe",
                        "http://169.254.169.254/latest/dynamic/instance-identity/document",
                    ],
                    "/opt/nessus_agent/var/nessus/tmp",
                    now,
                );
                let exec = self.process_event(h, now, &p, &parent, ("start", "exec"), "linux");
                let conn = self.imds_connect(h, now + gap, &p, &parent, "169.254.169.254");
                self.schedule(now, exec);
                self.schedule(now + gap, conn);
            }
            NearMiss::OsTypeCase => {
                // `instance-data` resolves to the IMDS, so the command line does not name the address.
                let p = self.child(
                    h,
                    "/usr/bin/curl",
                    &["curl", "-s", "http://instance-data/latest/meta-data/"],
                    "/home/ubuntu",
                    now,
                );
                let exec = self.process_event(h, now, &p, &parent, ("start", "exec"), "Linux");
                let conn = self.imds_connect(h, now + gap, &p, &parent, "169.254.169.254");
                self.schedule(now, exec);
                self.schedule(now + gap, conn);
            }
            NearMiss::ConnectFirst => {
                let q = self.child(h, "/usr/bin/bash", &["bash"], "/home/ubuntu", now);
                let p = self.child(h, "/usr/bin/curl", curl_args, "/home/ubuntu", now + gap);
                let conn = self.imds_connect(h, now, &q, &parent, "169.254.169.254");
                let exec =
                    self.process_event(h, now + gap, &p, &parent, ("start", "exec"), "linux");
                self.schedule(now, conn);
                self.schedule(now + gap, exec);
            }
            NearMiss::OtherAddress => {
                let p = self.child(
                    h,
                    "/usr/bin/curl",
                    &["curl", "-s", "http://169.254.169.253/"],
                    "/home/ubuntu",
                    now,
                );
                let exec = self.process_event(h, now, &p, &parent, ("start", "exec"), "linux");
                let conn = self.imds_connect(h, now + gap, &p, &parent, "169.254.169.253");
                self.schedule(now, exec);
                self.schedule(now + gap, conn);
            }
        }
    }
}

fn placeholder_proc() -> Proc {
    Proc {
        entity_id: String::new(),
        pid: 0,
        executable: String::new(),
        name: String::new(),
        args: Vec::new(),
        working_directory: String::new(),
        start: 0,
        user: ("0", "root"),
        interactive: false,
    }
}

fn placeholder_host() -> Host {
    Host {
        id: String::new(),
        name: String::new(),
        ip: String::new(),
        mac: String::new(),
        agent_id: String::new(),
        event_id_prefix: String::new(),
        os: &OSES[0],
        entry_leader: placeholder_proc(),
        parents: Vec::new(),
        recent: Vec::new(),
        next_pid: 0,
    }
}

fn new_proc(
    rng: &mut Rng,
    host: &mut Host,
    exe: &str,
    args: &[&str],
    wd: &str,
    start: i64,
    user: (&'static str, &'static str),
) -> Proc {
    host.next_pid = if host.next_pid >= 4_000_000 {
        300
    } else {
        host.next_pid + 1 + rng.below(7) as u32
    };
    let pid = host.next_pid;
    // Defend's entity id: base64 of agent id, pid and start time; unique per process.
    let entity_id = base64(format!("{}-{}-{}", host.agent_id, pid, start).as_bytes());
    let name = exe.rsplit('/').next().unwrap_or(exe).to_owned();
    Proc {
        entity_id,
        pid,
        executable: exe.to_owned(),
        name,
        args: args.iter().map(|s| (*s).to_owned()).collect(),
        working_directory: wd.to_owned(),
        start,
        user,
        interactive: user.1 != "root",
    }
}

/// Writes `cfg.events` documents to `out`, one per line; returns what was injected.
pub fn generate<W: Write>(cfg: &GenConfig, out: &mut W) -> io::Result<Truth> {
    // 2024-06-10T06:00:00Z: a fixed start, so the output is a pure function of the options.
    let start = days_from_civil(2024, 6, 10) * 86_400 * 1_000_000_000 + 6 * 3600 * 1_000_000_000;
    let mut g = Gen::new(cfg, start);
    let mut truth = Truth::default();
    let mut now = start;
    // The time of the next background event; pending (injected) events due before it go first,
    // so the output is in timestamp order.
    let mut next_bg = start + g.rng.range(20_000, 400_000) as i64;
    let mut line = String::new();
    while truth.events < cfg.events {
        let remaining = cfg.events - truth.events;
        let due = g.pending.peek().is_some_and(|Reverse(p)| p.time <= next_bg);
        // Drain pending events when they are due, or when only they still fit.
        let doc = if due || remaining <= g.pending.len() as u64 {
            match g.pending.pop() {
                Some(Reverse(p)) => {
                    now = now.max(p.time);
                    next_bg = next_bg.max(now);
                    p.doc
                }
                None => break,
            }
        } else {
            // Each injection adds two events; only start one when both certainly fit.
            if remaining > g.pending.len() as u64 + 3 && g.rng.chance(cfg.inject_per_million) {
                g.inject_true(now);
                truth.true_sequences += 1;
                continue;
            }
            // Near misses come twice as often as true sequences: there are six kinds of them.
            let near_rate = cfg.inject_per_million.saturating_mul(2);
            if remaining > g.pending.len() as u64 + 3 && g.rng.chance(near_rate) {
                // Round-robin, like the true variants.
                let k = (g.near_count % NearMiss::ALL.len() as u64) as usize;
                g.near_count += 1;
                g.inject_near(now, NearMiss::ALL[k]);
                truth.near_misses[k] += 1;
                continue;
            }
            now = next_bg;
            next_bg = now + g.rng.range(20_000, 400_000) as i64;
            g.background(now)
        };
        line.clear();
        line.push_str(&doc);
        line.push('\n');
        out.write_all(line.as_bytes())?;
        truth.events += 1;
        truth.bytes += line.len() as u64;
    }
    Ok(truth)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(cfg: &GenConfig) -> (Vec<u8>, Truth) {
        let mut buf = Vec::new();
        let truth = generate(cfg, &mut buf).unwrap();
        (buf, truth)
    }

    #[test]
    fn base64_matches_rfc4648() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn deterministic_and_exact_count() {
        let cfg = GenConfig {
            events: 3000,
            seed: 7,
            hosts: 50,
            inject_per_million: 5000,
        };
        let (a, ta) = run(&cfg);
        let (b, tb) = run(&cfg);
        assert_eq!(a, b);
        assert_eq!(ta, tb);
        assert_eq!(ta.events, 3000);
        assert_eq!(a.iter().filter(|&&c| c == b'\n').count(), 3000);
        assert_eq!(ta.bytes, a.len() as u64);
        assert!(ta.true_sequences > 0);
        let (c, _) = run(&GenConfig { seed: 8, ..cfg });
        assert_ne!(a, c);
    }

    #[test]
    fn documents_are_valid_sized_and_ordered() {
        let cfg = GenConfig {
            events: 2000,
            seed: 1,
            hosts: 300,
            inject_per_million: 5000,
        };
        let (buf, truth) = run(&cfg);
        let text = std::str::from_utf8(&buf).unwrap();
        let mut last = String::new();
        let mut imds_connects = 0;
        let mut hosts = std::collections::HashSet::new();
        let mut total = 0usize;
        for line in text.lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let ts = v["@timestamp"].as_str().unwrap().to_owned();
            assert!(ts >= last, "timestamps go backwards: {last} then {ts}");
            assert_eq!(ts.len(), 30);
            last = ts;
            assert!(v["process"]["parent"]["entity_id"].is_string());
            assert!(v["event"]["category"].is_array());
            hosts.insert(v["host"]["id"].as_str().unwrap().to_owned());
            if v["destination"]["ip"] == "169.254.169.254" {
                imds_connects += 1;
            }
            total += line.len();
        }
        let avg = total / 2000;
        assert!((1500..=3000).contains(&avg), "average document size {avg}");
        assert!(hosts.len() > 200, "{} hosts", hosts.len());
        // Every true sequence and every near miss except `other_address` connects to the IMDS once.
        let near: u64 = truth.near_misses.iter().sum::<u64>() - truth.near_misses[5];
        assert_eq!(imds_connects, truth.true_sequences + near);
    }
}
