//! Processes and hosts, and the Elastic Defend documents that describe them.
//!
//! The field sets follow Defend's Linux event types (endpoint-package
//! `linux_process_fork_exec_exit`, `linux_network_attempted_accepted_and_disconnect`, and the file
//! events): a process event carries the process with its user, real user, group and real group,
//! its parent, session, entry and group leaders, arguments, working directory, tty and hashes; a
//! network event carries the connection and the process's identifiers; a file event the file and
//! the process's identifiers.

use std::fmt::Write as _;
use std::io;
use std::rc::Rc;

use eql_runtime::time::write_rfc3339_nanos;

use crate::rng::{base64, keyed_hex};
use crate::vocab::{Account, Entry, OsInfo};

/// A process as the events describe it.
#[derive(Clone)]
pub(crate) struct Proc {
    pub entity_id: String,
    pub pid: u32,
    pub executable: String,
    pub name: String,
    pub args: Vec<String>,
    pub working_directory: String,
    pub start: i64,
    /// Effective user and group.
    pub user: Account,
    /// Real user and group (differ from the effective ones after a setuid exec).
    pub real: Account,
    pub interactive: bool,
    /// The pts number of the controlling terminal, for interactive processes.
    pub tty: Option<u16>,
    pub parent: Option<Rc<Proc>>,
    /// `None`: the process is its own session leader.
    pub session_leader: Option<Rc<Proc>>,
    /// `None`: the process is its own entry leader.
    pub entry_leader: Option<Rc<Proc>>,
    /// `None`: the process is its own process-group leader.
    pub group_leader: Option<Rc<Proc>>,
    /// How the entry leader's session came to be, and the SSH client's address.
    pub entry_meta: (Entry, &'static str),
}

impl Proc {
    /// The command line Defend reports: the arguments joined by spaces.
    pub fn command_line(&self) -> String {
        self.args.join(" ")
    }

    fn session(&self) -> &Proc {
        self.session_leader.as_deref().unwrap_or(self)
    }
    fn entry(&self) -> &Proc {
        self.entry_leader.as_deref().unwrap_or(self)
    }
    fn group(&self) -> &Proc {
        self.group_leader.as_deref().unwrap_or(self)
    }
}

/// A host and its long-lived processes.
pub(crate) struct Host {
    pub id: String,
    pub name: String,
    pub ip: String,
    pub mac: String,
    pub agent_id: String,
    pub event_id_prefix: String,
    pub os: &'static OsInfo,
    pub next_pid: u32,
}

impl Host {
    /// A new process on this host; its entity id is unique (agent id, pid and start time).
    #[allow(clippy::too_many_arguments)] // a process is described by this many things
    pub fn spawn(
        &mut self,
        step: u32,
        exe: &str,
        args: Vec<String>,
        wd: &str,
        start: i64,
        user: Account,
        parent: Option<&Rc<Proc>>,
    ) -> Proc {
        self.next_pid = if self.next_pid >= 4_000_000 {
            300
        } else {
            self.next_pid + 1 + step
        };
        let pid = self.next_pid;
        // Defend's entity id: base64 of the agent id, the pid and the start time in seconds.
        let entity_id =
            base64(format!("{}-{}-{}", self.agent_id, pid, start / 1_000_000_000).as_bytes());
        let name = exe.rsplit('/').next().unwrap_or(exe).to_owned();
        let inherit = parent
            .map(|p| (p.interactive, p.tty))
            .unwrap_or((false, None));
        Proc {
            entity_id,
            pid,
            executable: exe.to_owned(),
            name,
            args,
            working_directory: wd.to_owned(),
            start,
            user,
            real: user,
            interactive: inherit.0,
            tty: inherit.1,
            parent: parent.cloned(),
            session_leader: parent.map(|p| leader_or_self(p, |q| &q.session_leader)),
            entry_leader: parent.map(|p| leader_or_self(p, |q| &q.entry_leader)),
            group_leader: None,
            entry_meta: (Entry::Init, ""),
        }
    }
}

/// The parent's leader of some kind, or the parent itself if it leads.
fn leader_or_self(p: &Rc<Proc>, get: impl Fn(&Proc) -> &Option<Rc<Proc>>) -> Rc<Proc> {
    get(p).clone().unwrap_or_else(|| p.clone())
}

/// Appends `s` as a JSON string literal, escaped by serde_json (which writes `\b` and `\f` for
/// U+0008 and U+000C, `\u00XX` for the other control characters but `\n`, `\r` and `\t`; no
/// string the generator emits holds either, so the bundled sample is unaffected).
pub(crate) fn json_str(out: &mut String, s: &str) {
    serde_json::to_writer(StringWriter(out), s).expect("a string serializes");
}

/// `io::Write` onto a `String`: serde_json writes a `&str` as whole UTF-8 fragments (it splits
/// only around the ASCII characters it escapes), so each write is valid UTF-8 on its own.
struct StringWriter<'a>(&'a mut String);

impl io::Write for StringWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let s =
            std::str::from_utf8(buf).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        self.0.push_str(s);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Appends `items` as a JSON array of strings, escaped as [`json_str`] escapes.
fn json_str_array(out: &mut String, items: &[String]) {
    serde_json::to_writer(StringWriter(out), items).expect("strings serialize");
}

fn ids(out: &mut String, key: &str, a: Account, real: Account) {
    let _ = write!(
        out,
        "\"{key}\":{{\"id\":\"{}\",\"name\":\"{}\"}},\"real_{key}\":{{\"id\":\"{}\",\"name\":\"{}\"}}",
        a.uid, a.user, real.uid, real.user
    );
}

fn users(out: &mut String, p: &Proc) {
    ids(out, "user", p.user, p.real);
    out.push(',');
    let g = Account {
        uid: p.user.gid,
        user: p.user.group,
        gid: "",
        group: "",
    };
    let rg = Account {
        uid: p.real.gid,
        user: p.real.group,
        gid: "",
        group: "",
    };
    ids(out, "group", g, rg);
}

fn tty(out: &mut String, p: &Proc) {
    if let Some(n) = p.tty {
        let _ = write!(
            out,
            ",\"tty\":{{\"char_device\":{{\"major\":136,\"minor\":{n}}}}}"
        );
    }
}

/// The fields of a process that Defend repeats for parents and leaders.
/// With `full`, the real user and group, tty and working directory too (the process, its
/// parent and its entry leader; session and group leaders are written without them).
fn process_core(out: &mut String, p: &Proc, full: bool) {
    out.push_str("\"args\":");
    json_str_array(out, &p.args);
    let _ = write!(out, ",\"args_count\":{},\"entity_id\":", p.args.len());
    json_str(out, &p.entity_id);
    out.push_str(",\"executable\":");
    json_str(out, &p.executable);
    let _ = write!(out, ",\"interactive\":{},\"name\":", p.interactive);
    json_str(out, &p.name);
    let _ = write!(out, ",\"pid\":{},\"start\":\"", p.pid);
    write_rfc3339_nanos(out, p.start);
    out.push_str("\",");
    if full {
        users(out, p);
        tty(out, p);
        out.push_str(",\"working_directory\":");
        json_str(out, &p.working_directory);
    } else {
        let _ = write!(
            out,
            "\"user\":{{\"id\":\"{}\",\"name\":\"{}\"}},\"group\":{{\"id\":\"{}\",\"name\":\"{}\"}}",
            p.user.uid, p.user.user, p.user.gid, p.user.group
        );
    }
}

fn leader(out: &mut String, key: &str, l: &Proc, p: &Proc, entry: bool) {
    let _ = write!(out, ",\"{key}\":{{");
    process_core(out, l, entry);
    let _ = write!(out, ",\"same_as_process\":{}", l.entity_id == p.entity_id);
    if entry {
        match l.entry_meta {
            (Entry::Sshd, ip) => {
                let _ = write!(
                    out,
                    ",\"entry_meta\":{{\"type\":\"sshd\",\"source\":{{\"ip\":\"{ip}\"}}}}"
                );
            }
            (Entry::Init, _) => out.push_str(",\"entry_meta\":{\"type\":\"init\"}"),
        }
        if let Some(pp) = &l.parent {
            let _ = write!(
                out,
                ",\"parent\":{{\"entity_id\":\"{}\",\"pid\":{},\"start\":\"",
                pp.entity_id, pp.pid
            );
            write_rfc3339_nanos(out, pp.start);
            out.push_str("\"}");
        }
    }
    out.push('}');
}

fn ancestry(out: &mut String, p: &Proc) {
    out.push_str("\"Ext\":{\"ancestry\":[");
    let mut cur = p.parent.as_deref();
    let mut first = true;
    let mut n = 0;
    while let Some(q) = cur {
        if !first {
            out.push(',');
        }
        first = false;
        json_str(out, &q.entity_id);
        cur = q.parent.as_deref();
        n += 1;
        if n == 8 {
            break;
        }
    }
    out.push_str("]}");
}

/// What a process event is.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum ProcAction {
    Exec,
    Fork,
    End,
}

/// The common head of every document: timestamp, agent, event, host, user and group. Returns
/// the event id. Leaves the object open after a trailing comma.
#[allow(clippy::too_many_arguments)] // one call site per event kind; a struct would only rename them
pub(crate) fn header(
    out: &mut String,
    host: &Host,
    seq: u64,
    time: i64,
    kind: (&str, &str, &str, &str),
    os_type: &str,
    user: Account,
    real: Account,
) -> String {
    let (dataset, category, etype, action) = kind;
    // Defend event ids are a per-agent prefix and a running counter.
    let ev_id = format!("{}++++{:X}", host.event_id_prefix, seq);
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
    let os = host.os;
    let _ = write!(
        out,
        "\",\"dataset\":\"{dataset}\",\"id\":\"{ev_id}\",\"kind\":\"event\",\"module\":\"endpoint\",\
         \"outcome\":\"unknown\",\"sequence\":{seq},\"type\":[\"{etype}\"]}},\
         \"host\":{{\"architecture\":\"x86_64\",\"hostname\":\"{name}\",\"id\":\"{hid}\",\
         \"ip\":[\"127.0.0.1\",\"::1\",\"{ip}\"],\"mac\":[\"{mac}\"],\"name\":\"{name}\",\
         \"os\":{{\"Ext\":{{\"variant\":\"{variant}\"}},\"family\":\"{family}\",\"full\":\"{full}\",\
         \"kernel\":\"{kernel}\",\"name\":\"Linux\",\"platform\":\"{platform}\",\"type\":\"{os_type}\",\
         \"version\":\"{version}\"}}}},\
         \"user\":{{\"Ext\":{{\"real\":{{\"id\":\"{ruid}\",\"name\":\"{runame}\"}}}},\"id\":\"{uid}\",\"name\":\"{uname}\"}},\
         \"group\":{{\"Ext\":{{\"real\":{{\"id\":\"{rgid}\",\"name\":\"{rgname}\"}}}},\"id\":\"{gid}\",\"name\":\"{gname}\"}},",
        name = host.name,
        hid = host.id,
        ip = host.ip,
        mac = host.mac,
        variant = os.variant,
        family = os.family,
        full = os.full,
        kernel = os.kernel,
        platform = os.platform,
        version = os.version,
        uid = user.uid,
        uname = user.user,
        gid = user.gid,
        gname = user.group,
        ruid = real.uid,
        runame = real.user,
        rgid = real.gid,
        rgname = real.group,
    );
    ev_id
}

/// A process event (exec, fork or end) of `p`; returns the document and its event id.
pub(crate) fn process_event(
    host: &Host,
    seq: u64,
    time: i64,
    p: &Proc,
    action: ProcAction,
    os_type: &str,
) -> (String, String) {
    let mut out = String::with_capacity(4096);
    let kind = match action {
        ProcAction::Exec => ("endpoint.events.process", "process", "start", "exec"),
        ProcAction::Fork => ("endpoint.events.process", "process", "start", "fork"),
        ProcAction::End => ("endpoint.events.process", "process", "end", "end"),
    };
    let id = header(&mut out, host, seq, time, kind, os_type, p.user, p.real);
    out.push_str("\"message\":\"Endpoint process event\",\"process\":{");
    ancestry(&mut out, p);
    out.push(',');
    process_core(&mut out, p, true);
    out.push_str(",\"command_line\":");
    json_str(&mut out, &p.command_line());
    let _ = write!(
        out,
        ",\"hash\":{{\"md5\":\"{}\",\"sha1\":\"{}\",\"sha256\":\"{}\"}}",
        keyed_hex(&p.executable, 5, 32),
        keyed_hex(&p.executable, 1, 40),
        keyed_hex(&p.executable, 256, 64)
    );
    if action == ProcAction::End {
        out.push_str(",\"end\":\"");
        write_rfc3339_nanos(&mut out, time);
        out.push_str("\",\"exit_code\":0");
    }
    if let Some(parent) = &p.parent {
        out.push_str(",\"parent\":{");
        process_core(&mut out, parent, true);
        out.push_str(",\"command_line\":");
        json_str(&mut out, &parent.command_line());
        out.push('}');
        if action == ProcAction::Exec {
            // The image the exec replaced: the forked copy of the parent.
            out.push_str(",\"previous\":[{\"args\":");
            json_str_array(&mut out, &parent.args);
            let _ = write!(out, ",\"args_count\":{},\"executable\":", parent.args.len());
            json_str(&mut out, &parent.executable);
            out.push_str("}]");
        }
    }
    leader(&mut out, "session_leader", p.session(), p, false);
    leader(&mut out, "entry_leader", p.entry(), p, true);
    leader(&mut out, "group_leader", p.group(), p, false);
    out.push_str("}}");
    (out, id)
}

/// The identifiers of a process that network and file events carry.
fn short_process(out: &mut String, p: &Proc, command_line: bool) {
    out.push_str("\"process\":{");
    ancestry(out, p);
    if command_line {
        out.push_str(",\"command_line\":");
        json_str(out, &p.command_line());
    }
    out.push_str(",\"entity_id\":");
    json_str(out, &p.entity_id);
    let entry = p.entry();
    let _ = write!(
        out,
        ",\"entry_leader\":{{\"entity_id\":\"{}\"",
        entry.entity_id
    );
    if let Some(pp) = &entry.parent {
        let _ = write!(out, ",\"parent\":{{\"entity_id\":\"{}\"}}", pp.entity_id);
    }
    out.push_str("},\"executable\":");
    json_str(out, &p.executable);
    let _ = write!(
        out,
        ",\"group_leader\":{{\"entity_id\":\"{}\"}},\"name\":",
        p.group().entity_id
    );
    json_str(out, &p.name);
    if let Some(parent) = &p.parent {
        let _ = write!(
            out,
            ",\"parent\":{{\"entity_id\":\"{}\"}}",
            parent.entity_id
        );
    }
    let _ = write!(
        out,
        ",\"pid\":{},\"session_leader\":{{\"entity_id\":\"{}\"}}",
        p.pid,
        p.session().entity_id
    );
    out.push('}');
}

/// A connection as a network event describes it.
pub(crate) struct NetSpec<'a> {
    /// `connection_attempted`, `connection_accepted` or `disconnect_received`.
    pub action: &'static str,
    pub egress: bool,
    pub remote_ip: &'a str,
    pub remote_port: u16,
    pub local_port: u16,
    pub transport: &'static str,
}

/// A network event of `p`; returns the document and its event id.
pub(crate) fn network_event(
    host: &Host,
    seq: u64,
    time: i64,
    p: &Proc,
    net: &NetSpec<'_>,
) -> (String, String) {
    let mut out = String::with_capacity(2560);
    let etype = if net.action == "disconnect_received" {
        "end"
    } else {
        "start"
    };
    let kind = ("endpoint.events.network", "network", etype, net.action);
    let id = header(&mut out, host, seq, time, kind, "linux", p.user, p.real);
    let local = if net.remote_ip == "127.0.0.1" {
        "127.0.0.1"
    } else {
        host.ip.as_str()
    };
    // Egress: the host is the source; ingress: the remote end is.
    let (src_ip, src_port, dst_ip, dst_port) = if net.egress {
        (local, net.local_port, net.remote_ip, net.remote_port)
    } else {
        (net.remote_ip, net.local_port, local, net.remote_port)
    };
    let _ = write!(
        out,
        "\"message\":\"Endpoint network event\",\
         \"destination\":{{\"address\":\"{dst_ip}\",\"ip\":\"{dst_ip}\",\"port\":{dst_port}}},\
         \"source\":{{\"address\":\"{src_ip}\",\"ip\":\"{src_ip}\",\"port\":{src_port}}},\
         \"network\":{{\"direction\":\"{}\",\"transport\":\"{}\",\"type\":\"ipv4\"}},",
        if net.egress { "egress" } else { "ingress" },
        net.transport
    );
    short_process(&mut out, p, true);
    out.push('}');
    (out, id)
}

/// A file event of `p`: `action` is `creation`, `modification`, `deletion` or `rename` (with
/// `from`, the original path). Returns the document and its event id.
#[allow(clippy::too_many_arguments)] // the file and the process
pub(crate) fn file_event(
    host: &Host,
    seq: u64,
    time: i64,
    p: &Proc,
    action: &str,
    path: &str,
    from: &str,
    inode: u64,
    size: u64,
) -> (String, String) {
    let etype = match action {
        "creation" => "creation",
        "deletion" => "deletion",
        _ => "change",
    };
    let mut out = String::with_capacity(2048);
    let kind = ("endpoint.events.file", "file", etype, action);
    let id = header(&mut out, host, seq, time, kind, "linux", p.user, p.real);
    let name = path.rsplit('/').next().unwrap_or(path);
    out.push_str("\"message\":\"Endpoint file event\",\"file\":{");
    if !from.is_empty() {
        let oname = from.rsplit('/').next().unwrap_or(from);
        out.push_str("\"Ext\":{\"original\":{\"name\":");
        json_str(&mut out, oname);
        out.push_str(",\"path\":");
        json_str(&mut out, from);
        if let Some((_, e)) = oname.rsplit_once('.').filter(|(b, _)| !b.is_empty()) {
            out.push_str(",\"extension\":");
            json_str(&mut out, e);
        }
        out.push_str("}},");
    }
    if let Some((_, e)) = name.rsplit_once('.').filter(|(b, _)| !b.is_empty()) {
        out.push_str("\"extension\":");
        json_str(&mut out, e);
        out.push(',');
    }
    let _ = write!(out, "\"inode\":\"{inode}\",\"name\":");
    json_str(&mut out, name);
    out.push_str(",\"path\":");
    json_str(&mut out, path);
    if action != "deletion" {
        let _ = write!(out, ",\"size\":{size}");
    }
    out.push_str("},");
    short_process(&mut out, p, false);
    out.push('}');
    (out, id)
}

#[cfg(test)]
mod tests {
    #[test]
    fn json_str_escapes_like_serde_json() {
        let mut out = String::from("x");
        super::json_str(&mut out, "a\"b\\c\nd\te\r\u{1}é/");
        assert_eq!(out, "x\"a\\\"b\\\\c\\nd\\te\\r\\u0001é/\"");
    }
}
