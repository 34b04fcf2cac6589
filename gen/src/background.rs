//! The fleet and its background traffic: hosts running services, services starting programs,
//! programs doing what they do.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::rc::Rc;

use crate::events::{self, Host, NetSpec, Proc, ProcAction};
use crate::rng::{base64, Rng};
use crate::vocab::{self, Account, Act, Conn, Entry, FileOp, Peer, Prog, Service};

/// A long-lived process of a host and what it is.
pub(crate) struct Running {
    pub service: &'static Service,
    pub proc: Rc<Proc>,
    /// For login shells: the session's user.
    pub login: Option<Account>,
}

/// A recently started program, for its later network, file and end events.
#[derive(Clone)]
pub(crate) struct Child {
    pub proc: Rc<Proc>,
    pub act: Act,
}

/// A host with its processes.
pub(crate) struct HostState {
    pub host: Host,
    pub running: Vec<Running>,
    pub recent: Vec<Child>,
    /// The sshd listener, parent of the sessions' privileged processes.
    pub sshd: Rc<Proc>,
}

/// An event waiting for its time (injections schedule events ahead).
pub(crate) struct Pending {
    pub time: i64,
    pub seq: u64,
    pub doc: String,
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

/// The generator's state.
pub(crate) struct Gen {
    pub rng: Rng,
    pub hosts: Vec<HostState>,
    pub event_seq: u64,
    pub pending: BinaryHeap<Reverse<Pending>>,
    pub pending_seq: u64,
}

const SEC: i64 = 1_000_000_000;

/// Expands the placeholders of a command line and splits it into arguments.
pub(crate) fn render(rng: &mut Rng, cmd: &str, user: &str, host: &str) -> Vec<String> {
    let n = rng.range(1, 60).to_string();
    let h = rng.hex(8);
    let ip = format!("10.0.{}.{}", rng.range(0, 15), rng.range(4, 250));
    let fill = |s: &str| {
        if !s.contains('{') {
            return s.to_owned();
        }
        s.replace("{n}", &n)
            .replace("{h}", &h)
            .replace("{ip}", &ip)
            .replace("{user}", user)
            .replace("{host}", host)
    };
    match cmd.strip_prefix('|') {
        Some(rest) => rest.split('|').map(fill).collect(),
        None => cmd.split(' ').map(fill).collect(),
    }
}

impl Gen {
    /// The fleet at `start`: hosts booted up to a month before, each with its services running
    /// and zero to two SSH sessions open.
    pub(crate) fn new(seed: u64, hosts: u32, start: i64) -> Gen {
        let mut rng = Rng::new(seed ^ 0x005E_ED0F_E01D);
        let mut states = Vec::with_capacity(hosts.max(1) as usize);
        for i in 0..hosts.max(1) {
            let (a, b, c) = (rng.range(0, 63), rng.range(0, 255), rng.range(2, 254));
            let agent_id = rng.uuid();
            let mac = format!(
                "02-{}-{}-{}-{}-{}",
                rng.hex(2),
                rng.hex(2),
                rng.hex(2),
                rng.hex(2),
                rng.hex(2)
            )
            .to_uppercase();
            let boot = start - rng.range(3600, 30 * 86_400) as i64 * SEC;
            let mut host = Host {
                id: rng.hex(32),
                name: format!("ip-10-{a}-{b}-{c}"),
                ip: format!("10.{a}.{b}.{c}"),
                mac,
                event_id_prefix: base64(&rng.next().to_le_bytes()[..6]) + "/g6QHP1vO",
                agent_id,
                os: &vocab::OSES[(i as usize) % vocab::OSES.len()],
                next_pid: 0,
            };
            let mut init = host.spawn(
                0,
                "/usr/lib/systemd/systemd",
                vec!["/sbin/init".into()],
                "/",
                boot,
                vocab::ROOT,
                None,
            );
            init.pid = 1;
            init.entity_id = base64(format!("{}-1-{}", host.agent_id, boot / SEC).as_bytes());
            host.next_pid = rng.range(400, 2000) as u32;
            let init = Rc::new(init);
            let role = vocab::ROLES[rng.below(vocab::ROLES.len() as u64) as usize];
            let mut running = Vec::new();
            let mut sshd = init.clone();
            for &service in vocab::BASE.iter().chain(role.iter()) {
                if std::ptr::eq(service, &vocab::SYSTEMD) {
                    running.push(Running {
                        service,
                        proc: init.clone(),
                        login: None,
                    });
                    continue;
                }
                let t = boot + rng.range(2, 40) as i64 * SEC + rng.below(SEC as u64) as i64;
                let args = render(&mut rng, service.cmd, "", &host.name);
                let step = rng.below(7) as u32;
                let mut proc = host.spawn(
                    step,
                    service.exe,
                    args,
                    service.wd,
                    t,
                    service.user,
                    Some(&init),
                );
                // systemd starts each service in a session of its own.
                proc.session_leader = None;
                proc.entry_leader = None;
                let proc = Rc::new(proc);
                if std::ptr::eq(service, &vocab::SSHD) {
                    sshd = proc.clone();
                }
                running.push(Running {
                    service,
                    proc,
                    login: None,
                });
            }
            let mut state = HostState {
                host,
                running,
                recent: Vec::new(),
                sshd,
            };
            for _ in 0..rng.below(3) {
                let t = start - rng.range(60, 7200) as i64 * SEC;
                let login = vocab::login_account(state.host.os);
                let shell = login_shell(&mut rng, &mut state, t, login);
                state.running.push(Running {
                    service: &vocab::LOGIN_SHELL,
                    proc: shell,
                    login: Some(login),
                });
            }
            states.push(state);
        }
        Gen {
            rng,
            hosts: states,
            event_seq: 100_000,
            pending: BinaryHeap::new(),
            pending_seq: 0,
        }
    }

    /// The next event sequence number (`event.sequence`, and the tail of `event.id`).
    pub(crate) fn next_seq(&mut self) -> u64 {
        self.event_seq += 1;
        self.event_seq
    }

    /// Queues a document for its time.
    pub(crate) fn schedule(&mut self, time: i64, doc: String) {
        self.pending_seq += 1;
        self.pending.push(Reverse(Pending {
            time,
            seq: self.pending_seq,
            doc,
        }));
    }

    pub(crate) fn proc_doc(
        &mut self,
        h: usize,
        time: i64,
        p: &Proc,
        action: ProcAction,
        os_type: &str,
    ) -> (String, String) {
        let seq = self.next_seq();
        events::process_event(&self.hosts[h].host, seq, time, p, action, os_type)
    }

    pub(crate) fn net_doc(
        &mut self,
        h: usize,
        time: i64,
        p: &Proc,
        net: &NetSpec<'_>,
    ) -> (String, String) {
        let seq = self.next_seq();
        events::network_event(&self.hosts[h].host, seq, time, p, net)
    }

    pub(crate) fn file_doc(
        &mut self,
        h: usize,
        time: i64,
        p: &Proc,
        action: &str,
        path: &str,
        from: &str,
    ) -> (String, String) {
        let seq = self.next_seq();
        let inode = self.rng.range(100_000, 9_000_000);
        let size = self.rng.range(0, 1 << 20);
        events::file_event(
            &self.hosts[h].host,
            seq,
            time,
            p,
            action,
            path,
            from,
            inode,
            size,
        )
    }

    /// The address of a peer, as seen from host `h`.
    fn peer_ip(&mut self, peer: Peer) -> String {
        match peer {
            Peer::Public(ip) => ip.to_owned(),
            Peer::Loopback => "127.0.0.1".to_owned(),
            Peer::Fleet => {
                let k = self.rng.below(self.hosts.len() as u64) as usize;
                self.hosts[k].host.ip.clone()
            }
        }
    }

    fn conn_event(&mut self, h: usize, time: i64, p: &Proc, conn: Conn) -> String {
        let remote = self.peer_ip(conn.peer);
        let end = self.rng.below(3) == 0;
        let action = match (conn.egress, end) {
            (_, true) => "disconnect_received",
            (true, false) => "connection_attempted",
            (false, false) => "connection_accepted",
        };
        let ephemeral = self.rng.range(32768, 60999) as u16;
        let net = NetSpec {
            action,
            egress: conn.egress,
            remote_ip: &remote,
            remote_port: conn.port,
            local_port: ephemeral,
            transport: if conn.port == 123 || conn.port == 53 {
                "udp"
            } else {
                "tcp"
            },
        };
        self.net_doc(h, time, p, &net).0
    }

    fn file_op_event(&mut self, h: usize, time: i64, p: &Proc, op: FileOp, user: &str) -> String {
        let host = self.hosts[h].host.name.clone();
        let path = render(&mut self.rng, op.path, user, &host).join(" ");
        let from = if op.from.is_empty() {
            String::new()
        } else {
            render(&mut self.rng, op.from, user, &host).join(" ")
        };
        self.file_doc(h, time, p, op.action, &path, &from).0
    }

    /// Starts a program of service `si` on host `h`; returns its exec (or fork) event.
    fn start_child(&mut self, h: usize, si: usize, time: i64) -> String {
        let (service, parent, login) = {
            let r = &self.hosts[h].running[si];
            (r.service, r.proc.clone(), r.login)
        };
        let hostname = self.hosts[h].host.name.clone();
        let user_name = login.map_or("", |a| a.user);
        let step = self.rng.below(7) as u32;
        let (proc, act, action) = if service.forks || service.children.is_empty() {
            let p = self.hosts[h].host.spawn(
                step,
                &parent.executable,
                parent.args.clone(),
                &parent.working_directory,
                time - 120_000,
                service.child_user,
                Some(&parent),
            );
            (p, service.act, ProcAction::Fork)
        } else {
            let prog: Prog = *self.rng.pick(service.children);
            let args = render(&mut self.rng, prog.cmd, user_name, &hostname);
            let wd = if prog.wd.is_empty() {
                parent.working_directory.clone()
            } else {
                render(&mut self.rng, prog.wd, user_name, &hostname).join(" ")
            };
            let user = prog.user.or(login).unwrap_or(service.child_user);
            let mut p = self.hosts[h].host.spawn(
                step,
                prog.exe,
                args,
                &wd,
                time - 150_000,
                user,
                Some(&parent),
            );
            if login.is_some() {
                // A job of an interactive shell gets a process group of its own.
                p.group_leader = None;
                if prog.exe.ends_with("/sudo") {
                    // sudo is setuid root: the effective user changes, the real one stays.
                    p.user = vocab::setuid_root(user);
                }
            } else {
                p.group_leader = Some(parent.clone());
            }
            (p, prog.act, ProcAction::Exec)
        };
        let proc = Rc::new(proc);
        let state = &mut self.hosts[h];
        if state.recent.len() >= 12 {
            let k = self.rng.below(12) as usize;
            state.recent.swap_remove(k);
        }
        state.recent.push(Child {
            proc: proc.clone(),
            act,
        });
        self.proc_doc(h, time, &proc, action, "linux").0
    }

    /// One background event at `time`.
    pub(crate) fn background(&mut self, time: i64) -> String {
        let h = self.rng.below(self.hosts.len() as u64) as usize;
        let roll = self.rng.below(100);
        let n_recent = self.hosts[h].recent.len();
        if roll < 19 || n_recent == 0 {
            let si = self.pick_starter(h);
            return self.start_child(h, si, time);
        }
        if roll < 29 {
            let k = self.rng.below(n_recent as u64) as usize;
            let child = self.hosts[h].recent.swap_remove(k);
            return self
                .proc_doc(h, time, &child.proc, ProcAction::End, "linux")
                .0;
        }
        let want_net = roll < 70;
        // A recent program that does this kind of thing, else a long-lived service that does.
        let k = self.rng.below(n_recent as u64) as usize;
        let candidates: Vec<(Rc<Proc>, Act, Option<Account>)> = self.hosts[h]
            .recent
            .iter()
            .cycle()
            .skip(k)
            .take(n_recent)
            .map(|c| (c.proc.clone(), c.act, None))
            .chain({
                let m = self.hosts[h].running.len();
                let j = self.rng.below(m as u64) as usize;
                self.hosts[h]
                    .running
                    .iter()
                    .cycle()
                    .skip(j)
                    .take(m)
                    .map(|r| (r.proc.clone(), r.service.act, r.login))
                    .collect::<Vec<_>>()
            })
            .collect();
        for (proc, act, login) in candidates {
            let user = login.map_or_else(|| proc.user.user, |a| a.user);
            match (want_net, act) {
                (true, Act::Net(conns)) | (true, Act::NetFiles(conns, _)) if !conns.is_empty() => {
                    let c = *self.rng.pick(conns);
                    return self.conn_event(h, time, &proc, c);
                }
                (false, Act::Files(files)) | (false, Act::NetFiles(_, files))
                    if !files.is_empty() =>
                {
                    let f = *self.rng.pick(files);
                    return self.file_op_event(h, time, &proc, f, user);
                }
                _ => {}
            }
        }
        let si = self.pick_starter(h);
        self.start_child(h, si, time)
    }

    /// A running process that starts others.
    fn pick_starter(&mut self, h: usize) -> usize {
        loop {
            let si = self.rng.below(self.hosts[h].running.len() as u64) as usize;
            let s = self.hosts[h].running[si].service;
            if !s.children.is_empty() || s.forks {
                return si;
            }
        }
    }
}

/// An SSH login on host `state` at `t`: sshd's privileged and user processes, then the login
/// shell, which leads its session and entry (entry type `sshd`).
pub(crate) fn login_shell(
    rng: &mut Rng,
    state: &mut HostState,
    t: i64,
    login: Account,
) -> Rc<Proc> {
    let sshd = state.sshd.clone();
    let step = rng.below(5) as u32;
    let privsep = Rc::new(state.host.spawn(
        step,
        "/usr/sbin/sshd",
        vec![format!("sshd: {} [priv]", login.user)],
        "/",
        t,
        vocab::ROOT,
        Some(&sshd),
    ));
    let pts = rng.below(6) as u16;
    let user_proc = Rc::new(state.host.spawn(
        1,
        "/usr/sbin/sshd",
        vec![format!("sshd: {}@pts/{pts}", login.user)],
        "/",
        t + 90_000_000,
        login,
        Some(&privsep),
    ));
    let home = format!("/home/{}", login.user);
    let mut shell = state.host.spawn(
        1,
        "/usr/bin/bash",
        vec!["-bash".into()],
        &home,
        t + 120_000_000,
        login,
        Some(&user_proc),
    );
    shell.session_leader = None;
    shell.entry_leader = None;
    shell.group_leader = None;
    shell.interactive = true;
    shell.tty = Some(pts);
    shell.entry_meta = (Entry::Sshd, "198.51.100.23");
    Rc::new(shell)
}
