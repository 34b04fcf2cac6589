//! What the background is made of: operating systems, accounts, and the services a Linux server
//! runs, each with the programs it starts and what those programs do.
//!
//! Every program only does what such a program does: a `cat` or an `ls` opens no connection, a
//! daemon's children are a daemon's helpers, shells never talk to the network. Command lines are
//! written as `argv` joined by spaces (or by `|` when the text starts with `|`, for arguments that
//! hold spaces) and may use the placeholders `{n}` (a small number), `{ip}` (a private address),
//! `{h}` (eight hex digits), `{user}` (the session's login) and `{host}` (the host name).

/// A Linux distribution as `host.os` describes it.
pub(crate) struct OsInfo {
    pub variant: &'static str,
    pub family: &'static str,
    pub full: &'static str,
    pub kernel: &'static str,
    pub platform: &'static str,
    pub version: &'static str,
    /// The login of the image's default user.
    pub login: &'static str,
}

pub(crate) const OSES: &[OsInfo] = &[
    OsInfo {
        variant: "Ubuntu",
        family: "ubuntu",
        full: "Ubuntu 22.04.4",
        kernel: "6.5.0-1016-aws #16~22.04.1-Ubuntu SMP Fri Feb 16 15:42:02 UTC 2024",
        platform: "ubuntu",
        version: "22.04.4",
        login: "ubuntu",
    },
    OsInfo {
        variant: "Amazon Linux",
        family: "amzn",
        full: "Amazon Linux 2023.4.20240416",
        kernel: "6.1.84-99.169.amzn2023.x86_64 #1 SMP PREEMPT_DYNAMIC",
        platform: "amzn",
        version: "2023.4.20240416",
        login: "ec2-user",
    },
    OsInfo {
        variant: "Debian",
        family: "debian",
        full: "Debian 12.5",
        kernel: "6.1.0-18-cloud-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1",
        platform: "debian",
        version: "12.5",
        login: "admin",
    },
    OsInfo {
        variant: "RHEL",
        family: "rhel",
        full: "Red Hat Enterprise Linux 9.3",
        kernel: "5.14.0-362.24.1.el9_3.x86_64 #1 SMP PREEMPT_DYNAMIC",
        platform: "rhel",
        version: "9.3",
        login: "cloud-user",
    },
];

/// A user and its primary group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Account {
    pub uid: &'static str,
    pub user: &'static str,
    pub gid: &'static str,
    pub group: &'static str,
}

const fn acct(uid: &'static str, user: &'static str) -> Account {
    Account {
        uid,
        user,
        gid: uid,
        group: user,
    }
}

pub(crate) const ROOT: Account = acct("0", "root");
pub(crate) const WWW: Account = acct("33", "www-data");
pub(crate) const POSTGRES: Account = acct("114", "postgres");
pub(crate) const REDIS: Account = acct("115", "redis");
pub(crate) const MYSQL: Account = acct("116", "mysql");
pub(crate) const APP: Account = acct("1001", "app");
pub(crate) const PROMETHEUS: Account = acct("998", "prometheus");
pub(crate) const SYSTEMD_RESOLVE: Account = acct("101", "systemd-resolve");
pub(crate) const CHRONY: Account = acct("996", "chrony");
pub(crate) const POSTFIX: Account = acct("117", "postfix");
pub(crate) const ELASTICSEARCH: Account = acct("997", "elasticsearch");

/// The effective account of a setuid-root program run by `real`: the user changes to root, the
/// group stays `real`'s (setuid is not setgid).
pub(crate) fn setuid_root(real: Account) -> Account {
    Account {
        uid: ROOT.uid,
        user: ROOT.user,
        ..real
    }
}

/// The interactive login on an image (uid 1000).
pub(crate) fn login_account(os: &OsInfo) -> Account {
    acct("1000", os.login)
}

/// Where a connection goes or comes from.
#[derive(Clone, Copy)]
pub(crate) enum Peer {
    /// A fixed public address.
    Public(&'static str),
    /// Another host of the fleet (a private address).
    Fleet,
    /// The host itself.
    Loopback,
}

/// A connection a program makes or accepts.
#[derive(Clone, Copy)]
pub(crate) struct Conn {
    /// `true`: the program connects out; `false`: it accepts.
    pub egress: bool,
    pub peer: Peer,
    pub port: u16,
}

const fn out(peer: Peer, port: u16) -> Conn {
    Conn {
        egress: true,
        peer,
        port,
    }
}

const fn accept(peer: Peer, port: u16) -> Conn {
    Conn {
        egress: false,
        peer,
        port,
    }
}

use Peer::{Fleet, Loopback, Public};

// Public endpoints: GitHub, PyPI/Fastly, Ubuntu and Debian mirrors, AWS, Elastic Cloud, Docker Hub,
// Let's Encrypt, npm, Sentry, Datadog-like SaaS, Slack, CDN clients.
const GITHUB: Peer = Public("140.82.112.3");
const PYPI: Peer = Public("151.101.0.223");
const UBUNTU_MIRROR: Peer = Public("185.125.190.36");
const AWS_S3: Peer = Public("52.217.161.80");
const AWS_API: Peer = Public("52.94.236.248");
const ELASTIC_CLOUD: Peer = Public("34.120.127.130");
const DOCKER_HUB: Peer = Public("54.236.113.205");
const LETSENCRYPT: Peer = Public("172.65.32.248");
const NPM: Peer = Public("104.16.27.35");
const SENTRY: Peer = Public("34.120.195.249");
const SLACK: Peer = Public("3.120.45.27");
const STRIPE: Peer = Public("54.187.174.169");
const CLIENT_A: Peer = Public("81.2.69.142");
const CLIENT_B: Peer = Public("203.0.113.77");
const CLIENT_C: Peer = Public("89.160.20.112");
const CLIENT_D: Peer = Public("175.16.199.4");
const NTP: Peer = Public("162.159.200.123");

/// What a program does between its exec and its end.
#[derive(Clone, Copy)]
pub(crate) enum Act {
    /// Nothing Defend records (reads, computation, terminal output).
    Quiet,
    /// Connections.
    Net(&'static [Conn]),
    /// Files it creates, changes or deletes (renames carry the original path).
    Files(&'static [FileOp]),
    /// Both.
    NetFiles(&'static [Conn], &'static [FileOp]),
}

/// A file event a program causes.
#[derive(Clone, Copy)]
pub(crate) struct FileOp {
    /// `creation`, `modification`, `deletion` or `rename`.
    pub action: &'static str,
    /// The path (placeholders allowed).
    pub path: &'static str,
    /// For renames: the original path.
    pub from: &'static str,
}

const fn create(path: &'static str) -> FileOp {
    FileOp {
        action: "creation",
        path,
        from: "",
    }
}
const fn modify(path: &'static str) -> FileOp {
    FileOp {
        action: "modification",
        path,
        from: "",
    }
}
const fn delete(path: &'static str) -> FileOp {
    FileOp {
        action: "deletion",
        path,
        from: "",
    }
}
const fn rename(from: &'static str, path: &'static str) -> FileOp {
    FileOp {
        action: "rename",
        path,
        from,
    }
}

/// A program a service starts.
#[derive(Clone, Copy)]
pub(crate) struct Prog {
    pub exe: &'static str,
    pub cmd: &'static str,
    /// Working directory; empty: the parent's.
    pub wd: &'static str,
    pub act: Act,
    /// `Some`: runs as this account instead of the service's child account.
    pub user: Option<Account>,
}

const fn p(exe: &'static str, cmd: &'static str) -> Prog {
    Prog {
        exe,
        cmd,
        wd: "",
        act: Act::Quiet,
        user: None,
    }
}
const fn pw(exe: &'static str, cmd: &'static str, wd: &'static str) -> Prog {
    Prog {
        exe,
        cmd,
        wd,
        act: Act::Quiet,
        user: None,
    }
}
const fn pn(exe: &'static str, cmd: &'static str, conns: &'static [Conn]) -> Prog {
    Prog {
        exe,
        cmd,
        wd: "",
        act: Act::Net(conns),
        user: None,
    }
}
const fn pf(exe: &'static str, cmd: &'static str, files: &'static [FileOp]) -> Prog {
    Prog {
        exe,
        cmd,
        wd: "",
        act: Act::Files(files),
        user: None,
    }
}
const fn pnf(
    exe: &'static str,
    cmd: &'static str,
    conns: &'static [Conn],
    files: &'static [FileOp],
) -> Prog {
    Prog {
        exe,
        cmd,
        wd: "",
        act: Act::NetFiles(conns, files),
        user: None,
    }
}

/// How a session or service came to be, as `process.entry_leader.entry_meta.type` records it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Entry {
    /// Started by init (systemd).
    Init,
    /// An SSH login.
    Sshd,
}

/// A long-lived process that starts others.
pub(crate) struct Service {
    pub exe: &'static str,
    pub cmd: &'static str,
    pub wd: &'static str,
    pub user: Account,
    /// Its children's account, unless a [`Prog`] says otherwise.
    pub child_user: Account,
    /// The programs it starts, uniformly.
    pub children: &'static [Prog],
    /// Its own connections and file writes while it runs.
    pub act: Act,
    /// Children are forks of the service itself (workers), not execs of `children`.
    pub forks: bool,
}

const fn svc(
    exe: &'static str,
    cmd: &'static str,
    wd: &'static str,
    user: Account,
    children: &'static [Prog],
    act: Act,
) -> Service {
    Service {
        exe,
        cmd,
        wd,
        user,
        child_user: user,
        children,
        act,
        forks: false,
    }
}

// ---------------------------------------------------------------------------------------------
// Services every host runs.

/// systemd (pid 1): timers and one-shot units.
pub(crate) const SYSTEMD: Service = svc(
    "/usr/lib/systemd/systemd",
    "/sbin/init",
    "/",
    ROOT,
    &[
        pn(
            "/usr/lib/apt/apt.systemd.daily",
            "/bin/sh /usr/lib/apt/apt.systemd.daily update",
            &[out(UBUNTU_MIRROR, 80)],
        ),
        pf(
            "/usr/bin/systemd-tmpfiles",
            "systemd-tmpfiles --clean",
            &[delete("/tmp/systemd-private-{h}-chronyd.service-{h}/tmp"), delete("/var/tmp/cloud-init-{h}.log")],
        ),
        p(
            "/usr/sbin/fstrim",
            "/sbin/fstrim --listed-in /etc/fstab:/proc/self/mountinfo --verbose --quiet-unsupported",
        ),
        pf(
            "/usr/sbin/logrotate",
            "/usr/sbin/logrotate /etc/logrotate.conf",
            &[
                rename("/var/log/syslog", "/var/log/syslog.1"),
                rename("/var/log/auth.log", "/var/log/auth.log.1"),
                create("/var/log/syslog"),
                create("/var/lib/logrotate/status.tmp"),
            ],
        ),
        pf(
            "/usr/bin/mandb",
            "/usr/bin/mandb --quiet",
            &[modify("/var/cache/man/index.db")],
        ),
        pf(
            "/usr/bin/updatedb.plocate",
            "/usr/bin/updatedb.plocate",
            &[create("/var/lib/plocate/plocate.db.{h}"), rename("/var/lib/plocate/plocate.db.{h}", "/var/lib/plocate/plocate.db")],
        ),
        pn(
            "/usr/bin/python3.10",
            "/usr/bin/python3 /usr/bin/unattended-upgrade",
            &[out(UBUNTU_MIRROR, 443)],
        ),
        p("/usr/lib/sysstat/sa1", "/usr/lib/sysstat/sa1 1 1"),
        pf(
            "/usr/lib/sysstat/sadc",
            "/usr/lib/sysstat/sadc -F -L -S DISK 1 1 /var/log/sysstat",
            &[modify("/var/log/sysstat/sa{n}")],
        ),
        p("/usr/sbin/e2scrub_all", "/sbin/e2scrub_all -A -r"),
        pn(
            "/usr/bin/certbot",
            "/usr/bin/certbot -q renew --no-random-sleep-on-renew",
            &[out(LETSENCRYPT, 443)],
        ),
        pf(
            "/usr/lib/systemd/systemd-hostnamed",
            "/usr/lib/systemd/systemd-hostnamed",
            &[],
        ),
        p("/usr/lib/systemd/systemd-localed", "/usr/lib/systemd/systemd-localed"),
        p(
            "/usr/lib/systemd/systemd-timedated",
            "/usr/lib/systemd/systemd-timedated",
        ),
        p("/usr/sbin/sshd", "sshd -t"),
        p("/usr/bin/snap", "/usr/bin/snap auto-import"),
        p("/usr/lib/udisks2/udisksd", "/usr/libexec/udisks2/udisksd"),
        pf(
            "/usr/bin/dpkg-db-backup",
            "/usr/libexec/dpkg/dpkg-db-backup",
            &[create("/var/backups/dpkg.status.0"), create("/var/backups/alternatives.tar.0")],
        ),
        p("/usr/sbin/irqbalance", "/usr/sbin/irqbalance --oneshot"),
        pn(
            "/usr/bin/cloud-init",
            "/usr/bin/python3 /usr/bin/cloud-init status",
            &[],
        ),
        p("/usr/bin/systemctl", "systemctl is-system-running"),
        p("/usr/bin/journalctl", "journalctl --flush"),
        p(
            "/usr/lib/systemd/systemd-user-runtime-dir",
            "/lib/systemd/systemd-user-runtime-dir start 1000",
        ),
        p("/usr/sbin/needrestart", "/usr/sbin/needrestart -b"),
        pf("/usr/sbin/anacron", "/usr/sbin/anacron -d -q -s", &[modify("/var/spool/anacron/cron.daily")]),
        p("/usr/bin/apt-config", "apt-config shell StateDir Dir::State"),
        pn("/usr/lib/ubuntu-release-upgrader/check-new-release", "/usr/bin/python3 /usr/lib/ubuntu-release-upgrader/check-new-release -q", &[out(UBUNTU_MIRROR, 443)]),
        pn("/usr/bin/fwupdmgr", "/usr/bin/fwupdmgr refresh --no-metadata-check", &[out(Public("104.21.41.166"), 443)]),
        p("/usr/sbin/smartctl", "/usr/sbin/smartctl -H /dev/nvme0n1"),
        p("/usr/sbin/hwclock", "/sbin/hwclock --systohc --utc"),
        p("/usr/sbin/lvm", "/sbin/lvm vgchange --monitor y"),
        p("/usr/bin/nvme", "nvme smart-log /dev/nvme0"),
        pf("/usr/bin/systemd-sysusers", "systemd-sysusers", &[]),
        pf("/usr/sbin/ldconfig", "/sbin/ldconfig -X", &[create("/etc/ld.so.cache~"), rename("/etc/ld.so.cache~", "/etc/ld.so.cache")]),
        p("/usr/bin/tracker-extract-3", "/usr/libexec/tracker-extract-3"),
        pn("/usr/bin/dnf", "/usr/bin/dnf makecache --timer", &[out(Public("18.165.83.12"), 443)]),
        pf("/usr/bin/rkhunter", "/usr/bin/rkhunter --cronjob --report-warnings-only", &[modify("/var/log/rkhunter.log")]),
        pn("/usr/bin/freshclam", "/usr/bin/freshclam -d --foreground=true", &[out(Public("104.16.218.84"), 443)]),
        p("/usr/lib/systemd/systemd-fsck", "/lib/systemd/systemd-fsck /dev/nvme1n1"),
        p("/usr/bin/udevadm", "udevadm trigger --type=devices --action=change"),
        p("/usr/sbin/sysctl", "/sbin/sysctl --system"),
        pf("/usr/bin/cloud-id", "cloud-id", &[]),
        p("/usr/bin/loginctl", "loginctl enable-linger app"),
    ],
    Act::Quiet,
);

/// cron: jobs a server's crontab typically holds.
pub(crate) const CRON: Service = svc(
    "/usr/sbin/cron",
    "/usr/sbin/cron -f -P",
    "/var/spool/cron",
    ROOT,
    &[
        p("/usr/bin/run-parts", "run-parts --report /etc/cron.hourly"),
        pf(
            "/usr/sbin/logrotate",
            "/usr/sbin/logrotate /etc/logrotate.d/nginx",
            &[
                rename("/var/log/nginx/access.log", "/var/log/nginx/access.log.1"),
                create("/var/log/nginx/access.log"),
            ],
        ),
        pf(
            "/usr/bin/php8.1",
            "/usr/bin/php8.1 /var/www/html/cron.php",
            &[modify("/var/www/html/data/cron.lock")],
        ),
        pn(
            "/usr/bin/curl",
            "curl -fsS -m 10 --retry 3 -o /dev/null https://hc-ping.com/{h}-{h}",
            &[out(Public("172.67.206.61"), 443)],
        ),
        pnf(
            "/usr/local/bin/aws",
            "|/usr/local/bin/aws|s3|sync|/var/backups|s3://backup-{h}/{host}|--only-show-errors",
            &[out(AWS_S3, 443)],
            &[create("/root/.aws/cli/cache/{h}.json")],
        ),
        pf(
            "/usr/bin/find",
            "find /var/www/uploads/tmp -type f -mmin +120 -delete",
            &[delete("/var/www/uploads/tmp/upload_{h}.part")],
        ),
        pf(
            "/usr/bin/tar",
            "tar --exclude=/etc/ssl/private -czf /var/backups/etc-{n}.tgz /etc",
            &[create("/var/backups/etc-{n}.tgz")],
        ),
        pf(
            "/usr/bin/rsync",
            "rsync -a --delete /srv/app/media/ /mnt/efs/media/",
            &[
                create("/mnt/efs/media/thumbs/{h}.webp"),
                modify("/mnt/efs/media/index.json"),
            ],
        ),
        p(
            "/usr/lib/sysstat/debian-sa1",
            "/usr/lib/sysstat/debian-sa1 1 1",
        ),
        pf("/usr/sbin/ntpdate", "ntpdate-debian -s", &[]),
        pn(
            "/usr/bin/python3.10",
            "/usr/bin/python3 /opt/scripts/rotate_tokens.py --quiet",
            &[out(AWS_API, 443)],
        ),
        pf(
            "/usr/bin/gzip",
            "gzip -9 /var/log/app/worker.log.1",
            &[create("/var/log/app/worker.log.1.gz")],
        ),
        pn(
            "/usr/sbin/sendmail",
            "/usr/sbin/sendmail -FCronDaemon -i -B8BITMIME -oem root",
            &[out(Loopback, 25)],
        ),
        p(
            "/usr/bin/flock",
            "flock -n /var/lock/reindex.lock /srv/app/bin/reindex",
        ),
        pf(
            "/usr/local/bin/node_exporter_textfile.sh",
            "/bin/bash /usr/local/bin/node_exporter_textfile.sh",
            &[
                create("/var/lib/node_exporter/textfile/apt.prom.{h}"),
                rename(
                    "/var/lib/node_exporter/textfile/apt.prom.{h}",
                    "/var/lib/node_exporter/textfile/apt.prom",
                ),
            ],
        ),
    ],
    Act::Quiet,
);

/// sshd, the listener: accepts connections, forks per-connection processes.
pub(crate) const SSHD: Service = Service {
    forks: true,
    ..svc(
        "/usr/sbin/sshd",
        "sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups",
        "/",
        ROOT,
        &[],
        Act::Net(&[accept(Fleet, 22), accept(Public("198.51.100.23"), 22)]),
    )
};

/// The time daemon.
pub(crate) const CHRONYD: Service = svc(
    "/usr/sbin/chronyd",
    "/usr/sbin/chronyd -F 1",
    "/",
    CHRONY,
    &[],
    Act::NetFiles(&[out(NTP, 123)], &[modify("/var/lib/chrony/chrony.drift")]),
);

/// The stub resolver.
pub(crate) const RESOLVED: Service = svc(
    "/usr/lib/systemd/systemd-resolved",
    "/lib/systemd/systemd-resolved",
    "/",
    SYSTEMD_RESOLVE,
    &[],
    Act::Net(&[out(Public("10.0.0.2"), 53)]),
);

/// Elastic Agent and its components.
pub(crate) const ELASTIC_AGENT: Service = svc(
    "/opt/Elastic/Agent/elastic-agent",
    "/opt/Elastic/Agent/elastic-agent",
    "/opt/Elastic/Agent",
    ROOT,
    &[
        pnf(
            "/opt/Elastic/Agent/data/elastic-agent-8.14.0-a1b2c3/components/metricbeat",
            "|/opt/Elastic/Agent/data/elastic-agent-8.14.0-a1b2c3/components/metricbeat|-E|setup.ilm.enabled=false|-E|management.enabled=true|-E|logging.level=info|-E|gc_percent=${METRICBEAT_GOGC:100}|-E|metricbeat.config.modules.enabled=false",
            &[out(ELASTIC_CLOUD, 443)],
            &[modify("/opt/Elastic/Agent/data/elastic-agent-8.14.0-a1b2c3/run/system/metrics-default/registry/meta.json")],
        ),
        pnf(
            "/opt/Elastic/Agent/data/elastic-agent-8.14.0-a1b2c3/components/filebeat",
            "|/opt/Elastic/Agent/data/elastic-agent-8.14.0-a1b2c3/components/filebeat|-E|setup.ilm.enabled=false|-E|management.enabled=true|-E|logging.level=info|-E|filebeat.config.modules.enabled=false",
            &[out(ELASTIC_CLOUD, 443)],
            &[modify("/opt/Elastic/Agent/data/elastic-agent-8.14.0-a1b2c3/run/filestream-default/registry/filebeat/log.json")],
        ),
        p(
            "/opt/Elastic/Agent/data/elastic-agent-8.14.0-a1b2c3/components/osqueryd",
            "|/opt/Elastic/Agent/data/elastic-agent-8.14.0-a1b2c3/components/osqueryd|--flagfile=osquery/osquery.flags|--pidfile=osquery/osquery.pid",
        ),
    ],
    Act::Net(&[out(ELASTIC_CLOUD, 443)]),
);

/// An SSM-like management agent.
pub(crate) const SSM_AGENT: Service = svc(
    "/usr/bin/amazon-ssm-agent",
    "/usr/bin/amazon-ssm-agent",
    "/",
    ROOT,
    &[pn(
        "/usr/bin/ssm-agent-worker",
        "/usr/bin/ssm-agent-worker",
        &[out(AWS_API, 443)],
    )],
    Act::Net(&[out(AWS_API, 443)]),
);

/// Prometheus' node exporter.
pub(crate) const NODE_EXPORTER: Service = svc(
    "/usr/local/bin/node_exporter",
    "|/usr/local/bin/node_exporter|--collector.textfile.directory=/var/lib/node_exporter/textfile|--web.listen-address=:9100",
    "/",
    PROMETHEUS,
    &[],
    Act::Net(&[accept(Fleet, 9100)]),
);

/// rsyslog.
pub(crate) const RSYSLOGD: Service = svc(
    "/usr/sbin/rsyslogd",
    "/usr/sbin/rsyslogd -n -iNONE",
    "/",
    acct("104", "syslog"),
    &[],
    Act::Files(&[
        modify("/var/log/syslog"),
        modify("/var/log/auth.log"),
        modify("/var/log/kern.log"),
    ]),
);

/// The journal.
pub(crate) const JOURNALD: Service = svc(
    "/usr/lib/systemd/systemd-journald",
    "/lib/systemd/systemd-journald",
    "/",
    ROOT,
    &[],
    Act::Files(&[
        modify("/var/log/journal/{h}{h}{h}{h}/system.journal"),
        modify("/var/log/journal/{h}{h}{h}{h}/user-1000.journal"),
    ]),
);

/// Telegraf with its exec inputs.
pub(crate) const TELEGRAF: Service = Service {
    child_user: acct("995", "telegraf"),
    ..svc(
        "/usr/bin/telegraf",
        "|/usr/bin/telegraf|-config|/etc/telegraf/telegraf.conf|-config-directory|/etc/telegraf/telegraf.d",
        "/",
        acct("995", "telegraf"),
        &[
            p("/usr/sbin/smartctl", "|/usr/sbin/smartctl|--info|--health|--attributes|--tolerance=verypermissive|-n|standby|--format=brief|/dev/nvme0"),
            p("/usr/bin/nvidia-smi", "|/usr/bin/nvidia-smi|-q|-x"),
            p("/usr/bin/chronyc", "chronyc -n tracking"),
            p("/usr/sbin/ethtool", "ethtool -S ens5"),
            p("/usr/bin/ipmitool", "ipmitool sdr"),
            p("/usr/sbin/nstat", "nstat -a -z -j"),
        ],
        Act::Net(&[out(Fleet, 8086)]),
    )
};

/// Consul agent, with its script checks.
pub(crate) const CONSUL: Service = svc(
    "/usr/bin/consul",
    "|/usr/bin/consul|agent|-config-dir=/etc/consul.d/",
    "/",
    acct("993", "consul"),
    &[
        pn(
            "/usr/bin/curl",
            "curl -sf -m 2 http://127.0.0.1:8000/healthz",
            &[out(Loopback, 8000)],
        ),
        pn(
            "/usr/bin/pg_isready",
            "pg_isready -h 127.0.0.1 -p 5432 -q",
            &[out(Loopback, 5432)],
        ),
        pn(
            "/usr/bin/redis-cli",
            "redis-cli -h 127.0.0.1 ping",
            &[out(Loopback, 6379)],
        ),
        pn(
            "/usr/bin/nc",
            "nc -z -w 2 127.0.0.1 9200",
            &[out(Loopback, 9200)],
        ),
    ],
    Act::NetFiles(
        &[out(Fleet, 8301), accept(Fleet, 8301), out(Fleet, 8300)],
        &[modify("/opt/consul/serf/local.snapshot")],
    ),
);

// ---------------------------------------------------------------------------------------------
// Role services.

/// nginx: the master forks workers, which accept and proxy.
pub(crate) const NGINX: Service = Service {
    forks: true,
    child_user: WWW,
    ..svc(
        "/usr/sbin/nginx",
        "nginx: master process /usr/sbin/nginx -g daemon on; master_process on;",
        "/",
        ROOT,
        &[],
        Act::NetFiles(
            &[
                accept(CLIENT_A, 443),
                accept(CLIENT_B, 443),
                accept(CLIENT_C, 443),
                accept(CLIENT_D, 80),
                out(Loopback, 3000),
                out(Fleet, 8000),
            ],
            &[
                modify("/var/log/nginx/access.log"),
                modify("/var/log/nginx/error.log"),
            ],
        ),
    )
};

/// A Node.js web application under pm2.
pub(crate) const NODE_APP: Service = svc(
    "/usr/bin/node",
    "node /srv/web/server.js --port 3000",
    "/srv/web",
    APP,
    &[
        pn("/usr/bin/git", "git rev-parse --short HEAD", &[]),
        pf(
            "/usr/bin/node",
            "|/usr/bin/node|/srv/web/node_modules/.bin/sharp|--resize|800|/srv/web/uploads/{h}.png",
            &[create("/srv/web/uploads/{h}-800.webp")],
        ),
        pf(
            "/usr/bin/convert",
            "convert /srv/web/uploads/{h}.jpg -resize 320x240 /srv/web/uploads/thumb_{h}.jpg",
            &[create("/srv/web/uploads/thumb_{h}.jpg")],
        ),
    ],
    Act::NetFiles(
        &[
            accept(Loopback, 3000),
            out(Fleet, 5432),
            out(Fleet, 6379),
            out(STRIPE, 443),
            out(SENTRY, 443),
        ],
        &[modify("/srv/web/logs/app.log")],
    ),
);

/// pm2, the Node process manager.
pub(crate) const PM2: Service = svc(
    "/usr/bin/node",
    "PM2 v5.3.1: God Daemon (/home/app/.pm2)",
    "/home/app",
    APP,
    &[
        pn(
            "/usr/bin/node",
            "node /srv/web/workers/queue.js",
            &[out(Fleet, 6379), out(SLACK, 443)],
        ),
        pw(
            "/usr/bin/node",
            "node /srv/web/scripts/warm-cache.js",
            "/srv/web",
        ),
    ],
    Act::Files(&[
        modify("/home/app/.pm2/pm2.log"),
        modify("/home/app/.pm2/dump.pm2"),
    ]),
);

/// gunicorn: the master forks workers.
pub(crate) const GUNICORN: Service = Service {
    forks: true,
    ..svc(
        "/srv/app/venv/bin/python3",
        "/srv/app/venv/bin/python3 /srv/app/venv/bin/gunicorn --workers 4 --bind 0.0.0.0:8000 app.wsgi:application",
        "/srv/app",
        APP,
        &[],
        Act::NetFiles(
            &[accept(Fleet, 8000), out(Fleet, 5432), out(Fleet, 6379), out(SENTRY, 443)],
            &[modify("/srv/app/logs/gunicorn.log")],
        ),
    )
};

/// celery workers and their helpers.
pub(crate) const CELERY: Service = svc(
    "/srv/app/venv/bin/python3",
    "/srv/app/venv/bin/python3 /srv/app/venv/bin/celery -A app worker --loglevel=INFO --concurrency=4",
    "/srv/app",
    APP,
    &[
        pnf(
            "/usr/bin/ffmpeg",
            "ffmpeg -hide_banner -loglevel error -i /srv/app/media/in/{h}.mov -c:v libx264 -preset veryfast /srv/app/media/out/{h}.mp4",
            &[],
            &[create("/srv/app/media/out/{h}.mp4")],
        ),
        pf(
            "/usr/bin/pdftotext",
            "pdftotext -layout /srv/app/media/docs/{h}.pdf /srv/app/media/docs/{h}.txt",
            &[create("/srv/app/media/docs/{h}.txt")],
        ),
        pf(
            "/usr/bin/libreoffice",
            "|/usr/bin/libreoffice|--headless|--convert-to|pdf|--outdir|/srv/app/media/docs|/srv/app/media/docs/{h}.docx",
            &[create("/srv/app/media/docs/{h}.pdf")],
        ),
        p("/usr/bin/identify", "identify -format %wx%h /srv/app/media/in/{h}.jpg"),
    ],
    Act::NetFiles(
        &[out(Fleet, 5672), out(Fleet, 5432), out(AWS_S3, 443)],
        &[modify("/srv/app/logs/celery.log")],
    ),
);

/// PostgreSQL: the postmaster forks backends.
pub(crate) const POSTGRESQL: Service = Service {
    forks: true,
    ..svc(
        "/usr/lib/postgresql/14/bin/postgres",
        "/usr/lib/postgresql/14/bin/postgres -D /var/lib/postgresql/14/main -c config_file=/etc/postgresql/14/main/postgresql.conf",
        "/var/lib/postgresql/14/main",
        POSTGRES,
        &[],
        Act::NetFiles(
            &[accept(Fleet, 5432)],
            &[
                modify("/var/lib/postgresql/14/main/base/16384/{n}619"),
                modify("/var/lib/postgresql/14/main/pg_wal/00000001000000A1000000{n}"),
                create("/var/lib/postgresql/14/main/pg_stat_tmp/global.tmp"),
                rename("/var/lib/postgresql/14/main/pg_stat_tmp/global.tmp", "/var/lib/postgresql/14/main/pg_stat_tmp/global.stat"),
            ],
        ),
    )
};

/// MySQL.
pub(crate) const MYSQLD: Service = svc(
    "/usr/sbin/mysqld",
    "/usr/sbin/mysqld",
    "/var/lib/mysql",
    MYSQL,
    &[],
    Act::NetFiles(
        &[accept(Fleet, 3306)],
        &[
            modify("/var/lib/mysql/ib_logfile0"),
            modify("/var/lib/mysql/app/orders.ibd"),
            modify("/var/log/mysql/error.log"),
        ],
    ),
);

/// Redis.
pub(crate) const REDIS_SERVER: Service = svc(
    "/usr/bin/redis-server",
    "/usr/bin/redis-server 127.0.0.1:6379",
    "/var/lib/redis",
    REDIS,
    &[],
    Act::NetFiles(
        &[accept(Fleet, 6379), accept(Loopback, 6379)],
        &[
            create("/var/lib/redis/temp-{n}.rdb"),
            rename("/var/lib/redis/temp-{n}.rdb", "/var/lib/redis/dump.rdb"),
        ],
    ),
);

/// The Docker daemon and containerd.
pub(crate) const DOCKERD: Service = svc(
    "/usr/bin/dockerd",
    "/usr/bin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock",
    "/",
    ROOT,
    &[
        p("/usr/bin/docker-proxy", "|/usr/bin/docker-proxy|-proto|tcp|-host-ip|0.0.0.0|-host-port|8080|-container-ip|172.17.0.2|-container-port|8080"),
        p("/usr/sbin/iptables", "|/usr/sbin/iptables|--wait|-t|nat|-C|DOCKER|-p|tcp|-d|0/0|--dport|8080|-j|DNAT|--to-destination|172.17.0.2:8080|!|-i|docker0"),
    ],
    Act::NetFiles(
        &[out(DOCKER_HUB, 443)],
        &[modify("/var/lib/docker/containers/{h}{h}/{h}{h}-json.log")],
    ),
);

/// The kubelet of a Kubernetes node.
pub(crate) const KUBELET: Service = svc(
    "/usr/bin/kubelet",
    "|/usr/bin/kubelet|--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf|--kubeconfig=/etc/kubernetes/kubelet.conf|--config=/var/lib/kubelet/config.yaml|--container-runtime-endpoint=unix:///run/containerd/containerd.sock",
    "/",
    ROOT,
    &[
        p("/usr/bin/du", "|du|-x|-s|-B|1|/var/lib/kubelet/pods/{h}-{h}/volumes/kubernetes.io~empty-dir/cache"),
        p("/usr/bin/nice", "|nice|-n|19|du|-x|-s|-B|1|/var/lib/kubelet/pods/{h}-{h}/volumes"),
        p("/usr/sbin/losetup", "losetup -j /var/lib/kubelet/plugins/kubernetes.io/csi/volumeDevices/pvc-{h}"),
    ],
    Act::NetFiles(
        &[out(Fleet, 6443), accept(Fleet, 10250)],
        &[modify("/var/lib/kubelet/pods/{h}-{h}/etc-hosts"), modify("/var/lib/kubelet/cpu_manager_state")],
    ),
);

/// Elasticsearch (a JVM that only talks to its peers and clients).
pub(crate) const ELASTICSEARCH_NODE: Service = svc(
    "/usr/share/elasticsearch/jdk/bin/java",
    "|/usr/share/elasticsearch/jdk/bin/java|-Xms4g|-Xmx4g|-XX:+UseG1GC|-Des.path.home=/usr/share/elasticsearch|-Des.path.conf=/etc/elasticsearch|-cp|/usr/share/elasticsearch/lib/*|org.elasticsearch.bootstrap.Elasticsearch",
    "/usr/share/elasticsearch",
    ELASTICSEARCH,
    &[p(
        "/usr/share/elasticsearch/modules/x-pack-ml/platform/linux-x86_64/bin/controller",
        "/usr/share/elasticsearch/modules/x-pack-ml/platform/linux-x86_64/bin/controller",
    )],
    Act::NetFiles(
        &[accept(Fleet, 9200), accept(Fleet, 9300), out(Fleet, 9300)],
        &[
            create("/var/lib/elasticsearch/indices/{h}/0/index/_{n}.cfs"),
            modify("/var/lib/elasticsearch/indices/{h}/0/translog/translog-{n}.tlog"),
            modify("/var/log/elasticsearch/elasticsearch.log"),
        ],
    ),
);

/// Prometheus itself.
pub(crate) const PROMETHEUS_SERVER: Service = svc(
    "/usr/local/bin/prometheus",
    "|/usr/local/bin/prometheus|--config.file=/etc/prometheus/prometheus.yml|--storage.tsdb.path=/var/lib/prometheus|--web.listen-address=0.0.0.0:9090",
    "/var/lib/prometheus",
    PROMETHEUS,
    &[],
    Act::NetFiles(
        &[out(Fleet, 9100), out(Fleet, 9187), accept(Fleet, 9090)],
        &[create("/var/lib/prometheus/wal/000{n}"), modify("/var/lib/prometheus/chunks_head/000{n}")],
    ),
);

/// Grafana.
pub(crate) const GRAFANA: Service = svc(
    "/usr/share/grafana/bin/grafana",
    "|/usr/share/grafana/bin/grafana|server|--config=/etc/grafana/grafana.ini|--homepath=/usr/share/grafana|cfg:default.paths.data=/var/lib/grafana",
    "/usr/share/grafana",
    acct("472", "grafana"),
    &[],
    Act::NetFiles(&[accept(Fleet, 3000), out(Fleet, 9090)], &[modify("/var/lib/grafana/grafana.db")]),
);

/// Postfix: the master starts its helpers.
pub(crate) const POSTFIX_MASTER: Service = Service {
    child_user: POSTFIX,
    ..svc(
        "/usr/lib/postfix/sbin/master",
        "/usr/lib/postfix/sbin/master -w",
        "/var/spool/postfix",
        ROOT,
        &[
            pn(
                "/usr/lib/postfix/sbin/smtpd",
                "smtpd -n smtp -t inet -u -c -o stress= -s 2",
                &[accept(Fleet, 25)],
            ),
            pn(
                "/usr/lib/postfix/sbin/smtp",
                "smtp -t unix -u -c",
                &[out(Public("142.250.102.27"), 25)],
            ),
            pf(
                "/usr/lib/postfix/sbin/cleanup",
                "cleanup -z -t unix -u -c",
                &[create("/var/spool/postfix/incoming/{h}")],
            ),
            pf(
                "/usr/lib/postfix/sbin/qmgr",
                "qmgr -l -t unix -u",
                &[rename(
                    "/var/spool/postfix/incoming/{h}",
                    "/var/spool/postfix/active/{h}",
                )],
            ),
            p("/usr/lib/postfix/sbin/pickup", "pickup -l -t unix -u -c"),
            p("/usr/lib/postfix/sbin/anvil", "anvil -l -t unix -u -c"),
            p(
                "/usr/lib/postfix/sbin/trivial-rewrite",
                "trivial-rewrite -n rewrite -t unix -u -c",
            ),
            pf(
                "/usr/lib/postfix/sbin/local",
                "local -t unix",
                &[modify("/var/mail/root")],
            ),
        ],
        Act::Quiet,
    )
};

/// php-fpm: the master forks pool workers.
pub(crate) const PHP_FPM: Service = Service {
    forks: true,
    child_user: WWW,
    ..svc(
        "/usr/sbin/php-fpm8.1",
        "php-fpm: master process (/etc/php/8.1/fpm/php-fpm.conf)",
        "/",
        ROOT,
        &[],
        Act::NetFiles(
            &[accept(Loopback, 9000), out(Fleet, 3306), out(Fleet, 6379)],
            &[
                modify("/var/log/php8.1-fpm.log"),
                create("/var/lib/php/sessions/sess_{h}{h}"),
            ],
        ),
    )
};

/// The CI build agent: runs builds (compilers, package managers, git), never shells on the network.
pub(crate) const BUILD_AGENT: Service = svc(
    "/opt/buildkite-agent/bin/buildkite-agent",
    "/opt/buildkite-agent/bin/buildkite-agent start",
    "/var/lib/buildkite-agent",
    acct("1005", "buildkite-agent"),
    &[
        Prog {
            wd: "/var/lib/buildkite-agent/builds/{host}/acme/api",
            ..pnf(
                "/usr/bin/git",
                "git fetch -v --prune -- origin refs/heads/main",
                &[out(GITHUB, 443)],
                &[modify("/var/lib/buildkite-agent/builds/{host}/acme/api/.git/FETCH_HEAD")],
            )
        },
        Prog {
            wd: "/var/lib/buildkite-agent/builds/{host}/acme/api",
            ..pf(
                "/usr/bin/git",
                "git checkout -f {h}{h}",
                &[modify("/var/lib/buildkite-agent/builds/{host}/acme/api/.git/index")],
            )
        },
        Prog {
            wd: "/var/lib/buildkite-agent/builds/{host}/acme/api",
            ..pnf(
                "/usr/local/go/bin/go",
                "go build -trimpath -o bin/api ./cmd/api",
                &[out(Public("142.250.185.81"), 443)],
                &[create("/var/lib/buildkite-agent/builds/{host}/acme/api/bin/api")],
            )
        },
        Prog {
            wd: "/var/lib/buildkite-agent/builds/{host}/acme/api",
            ..p("/usr/local/go/bin/go", "go test -count=1 ./...")
        },
        Prog {
            wd: "/var/lib/buildkite-agent/builds/{host}/acme/web",
            ..pnf(
                "/usr/bin/node",
                "|/usr/bin/node|/usr/lib/node_modules/npm/bin/npm-cli.js|ci|--no-audit|--prefer-offline",
                &[out(NPM, 443)],
                &[create("/var/lib/buildkite-agent/builds/{host}/acme/web/node_modules/.package-lock.json")],
            )
        },
        Prog {
            wd: "/var/lib/buildkite-agent/builds/{host}/acme/ml",
            ..pnf(
                "/usr/bin/python3.10",
                "|/usr/bin/python3|-m|pip|install|--no-cache-dir|-r|requirements.txt",
                &[out(PYPI, 443)],
                &[create("/var/lib/buildkite-agent/.local/lib/python3.10/site-packages/numpy/version.py")],
            )
        },
        Prog {
            wd: "/var/lib/buildkite-agent/builds/{host}/acme/ml",
            ..p("/usr/bin/python3.10", "|/usr/bin/python3|-m|pytest|-q|tests/")
        },
        Prog {
            wd: "/var/lib/buildkite-agent/builds/{host}/acme/engine",
            ..pnf(
                "/usr/local/cargo/bin/cargo",
                "cargo build --release --locked",
                &[out(Public("108.138.64.60"), 443)],
                &[create("/var/lib/buildkite-agent/builds/{host}/acme/engine/target/release/engine")],
            )
        },
        Prog {
            wd: "/var/lib/buildkite-agent/builds/{host}/acme/engine",
            ..p("/usr/bin/make", "make -j4 check")
        },
        Prog {
            wd: "/var/lib/buildkite-agent/builds/{host}/acme/api",
            ..pn("/usr/bin/docker", "docker build -t registry.internal/acme/api:{h} .", &[out(Loopback, 2375)])
        },
        Prog {
            wd: "/var/lib/buildkite-agent/builds/{host}/acme/api",
            ..pn("/usr/bin/docker", "docker push registry.internal/acme/api:{h}", &[out(Fleet, 5000)])
        },
        Prog {
            wd: "/var/lib/buildkite-agent/builds/{host}/acme/engine",
            ..p("/usr/bin/cmake", "cmake -S . -B build -DCMAKE_BUILD_TYPE=Release")
        },
        Prog {
            wd: "/var/lib/buildkite-agent/builds/{host}/acme/api",
            ..p("/usr/bin/shellcheck", "shellcheck -x scripts/deploy.sh scripts/migrate.sh")
        },
        Prog {
            wd: "/var/lib/buildkite-agent/builds/{host}/acme/api",
            ..p("/usr/bin/jq", "jq -r .version package.json")
        },
    ],
    Act::Net(&[out(Public("52.6.44.160"), 443)]),
);

/// An interactive SSH session's login shell: what an operator types.
pub(crate) const LOGIN_SHELL: Service = svc(
    "/usr/bin/bash",
    "-bash",
    "/home/{user}",
    ROOT, // replaced by the session's login
    &[
        p("/usr/bin/ls", "ls --color=auto -la"),
        p("/usr/bin/ls", "ls --color=auto -lh /var/log/nginx"),
        p("/usr/bin/ls", "ls --color=auto /srv/app/releases"),
        p("/usr/bin/cat", "cat /etc/os-release"),
        p("/usr/bin/cat", "cat /srv/app/config/settings.yaml"),
        p("/usr/bin/cat", "cat /proc/meminfo"),
        p("/usr/bin/less", "less /var/log/nginx/error.log"),
        p("/usr/bin/tail", "tail -n 200 /var/log/syslog"),
        p("/usr/bin/tail", "tail -f /srv/app/logs/celery.log"),
        p("/usr/bin/head", "head -n 50 /srv/app/logs/gunicorn.log"),
        p("/usr/bin/grep", "grep --color=auto -i timeout /srv/app/logs/gunicorn.log"),
        p("/usr/bin/grep", "grep --color=auto -c 502 /var/log/nginx/access.log"),
        p("/usr/bin/zgrep", "zgrep -h POST /var/log/nginx/access.log.2.gz"),
        p("/usr/bin/df", "df -h"),
        p("/usr/bin/free", "free -m"),
        p("/usr/bin/du", "du -sh /var/lib/docker /var/log"),
        p("/usr/bin/uptime", "uptime"),
        p("/usr/bin/top", "top -b -n 1"),
        p("/usr/bin/htop", "htop"),
        p("/usr/bin/ps", "ps auxf"),
        p("/usr/bin/ps", "ps -eo pid,ppid,cmd,%mem,%cpu --sort=-%mem"),
        p("/usr/bin/pgrep", "pgrep -a gunicorn"),
        p("/usr/bin/ss", "ss -s"),
        p("/usr/bin/systemctl", "systemctl status nginx"),
        p("/usr/bin/systemctl", "systemctl list-units --failed"),
        p("/usr/bin/journalctl", "journalctl -u nginx --since -1h --no-pager"),
        p("/usr/bin/journalctl", "journalctl -p err -b --no-pager"),
        p("/usr/bin/vim", "vim notes.md"),
        pf("/usr/bin/vim", "vim /srv/app/config/settings.yaml", &[create("/srv/app/config/.settings.yaml.swp"), modify("/srv/app/config/settings.yaml"), delete("/srv/app/config/.settings.yaml.swp")]),
        pf("/usr/bin/nano", "nano todo.txt", &[modify("/home/{user}/todo.txt")]),
        p("/usr/bin/git", "git status"),
        p("/usr/bin/git", "git log --oneline -n 20"),
        pnf("/usr/bin/git", "git pull --ff-only", &[out(GITHUB, 443)], &[modify("/home/{user}/src/infra/.git/FETCH_HEAD")]),
        p("/usr/bin/git", "git diff --stat"),
        p("/usr/bin/docker", "docker ps --format {{.Names}}"),
        p("/usr/bin/docker", "docker logs --tail 100 api"),
        p("/usr/bin/docker", "docker stats --no-stream"),
        pn("/usr/local/bin/kubectl", "kubectl top pod -n production --sort-by=memory", &[out(Fleet, 6443)]),
        pn("/usr/local/bin/kubectl", "kubectl logs -n production deploy/api --tail=50", &[out(Fleet, 6443)]),
        pn("/usr/local/bin/kubectl", "kubectl rollout status -n production deploy/api", &[out(Fleet, 6443)]),
        p("/usr/bin/watch", "watch -n 5 df -h"),
        p("/usr/bin/dig", "dig +short api.internal"),
        pn("/usr/bin/ping", "ping -c 3 10.0.0.1", &[]),
        pn("/usr/bin/psql", "psql -h db.internal -U app app", &[out(Fleet, 5432)]),
        pn("/usr/bin/redis-cli", "redis-cli -h cache.internal info memory", &[out(Fleet, 6379)]),
        pn("/usr/bin/mysql", "mysql -h db.internal -u app -p app", &[out(Fleet, 3306)]),
        p("/usr/bin/which", "which python3"),
        p("/usr/bin/wc", "wc -l /var/log/nginx/access.log"),
        p("/usr/bin/sort", "sort -u hosts.txt"),
        p("/usr/bin/awk", "|awk|{print $1}|/var/log/nginx/access.log"),
        p("/usr/bin/sed", "sed -n 1,40p /srv/app/config/settings.yaml"),
        p("/usr/bin/cut", "cut -d, -f1,3 report.csv"),
        p("/usr/bin/date", "date -u"),
        p("/usr/bin/hostname", "hostname -f"),
        p("/usr/bin/uname", "uname -a"),
        p("/usr/bin/lsblk", "lsblk"),
        p("/usr/bin/findmnt", "findmnt /data"),
        p("/usr/bin/stat", "stat /srv/app/current"),
        p("/usr/bin/file", "file /srv/app/bin/worker"),
        p("/usr/bin/md5sum", "md5sum release.tar.gz"),
        p("/usr/bin/sha256sum", "sha256sum release.tar.gz"),
        pf("/usr/bin/tar", "tar -xzf release.tar.gz -C /home/{user}/release", &[create("/home/{user}/release/README.md")]),
        pf("/usr/bin/unzip", "unzip -q report-{n}.zip -d reports", &[create("/home/{user}/reports/report-{n}.csv")]),
        pf("/usr/bin/cp", "cp settings.yaml settings.yaml.bak", &[create("/home/{user}/settings.yaml.bak")]),
        pf("/usr/bin/mv", "mv report.csv reports/", &[rename("/home/{user}/report.csv", "/home/{user}/reports/report.csv")]),
        pf("/usr/bin/mkdir", "mkdir -p reports", &[create("/home/{user}/reports")]),
        pf("/usr/bin/rm", "rm -f report-{n}.zip", &[delete("/home/{user}/report-{n}.zip")]),
        pf("/usr/bin/touch", "touch /home/{user}/.cache/motd.legal-displayed", &[create("/home/{user}/.cache/motd.legal-displayed")]),
        pn("/usr/bin/curl", "curl -sS -o /dev/null -w %{http_code} http://localhost:8000/healthz", &[out(Loopback, 8000)]),
        pn("/usr/bin/curl", "curl -sI https://www.example.com/", &[out(Public("93.184.215.14"), 443)]),
        pnf("/usr/bin/wget", "wget -q https://github.com/prometheus/node_exporter/releases/download/v1.8.1/node_exporter-1.8.1.linux-amd64.tar.gz", &[out(GITHUB, 443)], &[create("/home/{user}/node_exporter-1.8.1.linux-amd64.tar.gz")]),
        pn("/usr/bin/ssh", "ssh -o BatchMode=yes deploy@10.0.4.12 uptime", &[out(Fleet, 22)]),
        pnf("/usr/bin/scp", "scp deploy@10.0.4.12:/var/log/app/worker.log .", &[out(Fleet, 22)], &[create("/home/{user}/worker.log")]),
        pnf("/usr/local/bin/aws", "|/usr/local/bin/aws|s3|ls|s3://backup-{h}/", &[out(AWS_S3, 443)], &[]),
        pn("/usr/local/bin/aws", "|/usr/local/bin/aws|ec2|describe-instances|--filters|Name=tag:Role,Values=web", &[out(AWS_API, 443)]),
        pn("/usr/bin/python3.10", "python3 manage.py showmigrations", &[out(Fleet, 5432)]),
        p("/usr/bin/python3.10", "|python3|-m|json.tool|response.json"),
        p("/usr/bin/jq", "jq .items[].metadata.name pods.json"),
        p("/usr/bin/man", "man rsync"),
        p("/usr/bin/clear", "clear"),
        p("/usr/bin/tmux", "tmux attach -t ops"),
        p("/usr/bin/openssl", "openssl x509 -noout -enddate -in /etc/letsencrypt/live/{host}/cert.pem"),
        p("/usr/bin/nproc", "nproc"),
        p("/usr/bin/lscpu", "lscpu"),
        p("/usr/bin/iostat", "iostat -xz 1 3"),
        p("/usr/bin/vmstat", "vmstat 1 5"),
        p("/usr/bin/dmesg", "dmesg -T --level=err,warn"),
        p("/usr/bin/timedatectl", "timedatectl status"),
        p("/usr/bin/diff", "diff -u settings.yaml.bak settings.yaml"),
        p("/usr/bin/tree", "tree -L 2 /srv/app"),
        p("/usr/bin/whoami", "whoami"),
        p("/usr/bin/env", "env"),
        p("/usr/bin/ip", "ip -br addr"),
        p("/usr/bin/ip", "ip route show"),
        p("/usr/bin/lsof", "lsof -nP -iTCP:8000 -sTCP:LISTEN"),
        pn("/usr/bin/nslookup", "nslookup db.internal", &[out(Public("10.0.0.2"), 53)]),
        pn("/usr/bin/host", "host -t A api.internal", &[out(Public("10.0.0.2"), 53)]),
        p("/usr/bin/zcat", "zcat /var/log/nginx/access.log.2.gz"),
        p("/usr/bin/xz", "xz -dc logs-{n}.tar.xz"),
        pf("/usr/bin/gzip", "gzip -k worker.log", &[create("/home/{user}/worker.log.gz")]),
        p("/usr/bin/column", "column -t -s, report.csv"),
        p("/usr/bin/tr", "tr -d \\r"),
        p("/usr/bin/uniq", "uniq -c"),
        p("/usr/bin/tee", "tee -a notes.md"),
        p("/usr/bin/yq", "yq .services.api.image docker-compose.yml"),
        p("/usr/bin/node", "node --version"),
        p("/usr/bin/python3.10", "python3 --version"),
        pn("/usr/bin/pip3", "pip3 list --outdated", &[out(PYPI, 443)]),
        p("/usr/bin/numfmt", "numfmt --to=iec 123456789"),
        p("/usr/bin/basename", "basename /srv/app/current"),
        p("/usr/bin/readlink", "readlink -f /srv/app/current"),
        p("/usr/bin/realpath", "realpath ../releases"),
        p("/usr/bin/mtr", "mtr -r -c 5 10.0.0.1"),
        p("/usr/bin/iotop", "iotop -b -n 1 -o"),
        p("/usr/bin/nethogs", "nethogs -t -c 2"),
        p("/usr/bin/journalctl", "journalctl --disk-usage"),
        p("/usr/bin/systemd-analyze", "systemd-analyze blame"),
        p("/usr/bin/hostnamectl", "hostnamectl"),
        p("/usr/bin/last", "last -n 10"),
        p("/usr/bin/w", "w"),
        p("/usr/bin/groups", "groups"),
        p("/usr/bin/locale", "locale"),
        p("/usr/bin/seq", "seq 1 10"),
        p("/usr/bin/sleep", "sleep 5"),
        p("/usr/bin/ncdu", "ncdu -x /var"),
        pnf("/usr/bin/rsync", "rsync -avz --progress deploy@10.0.4.12:/srv/app/logs/ logs/", &[out(Fleet, 22)], &[create("/home/{user}/logs/gunicorn.log")]),
        pn("/usr/bin/git", "git fetch --all --prune", &[out(GITHUB, 443)]),
        p("/usr/bin/git", "git branch -a"),
        p("/usr/bin/git", "git show --stat HEAD"),
        pn("/usr/local/bin/terraform", "terraform plan -out=tfplan", &[out(AWS_API, 443)]),
        pn("/usr/local/bin/helm", "helm list -n production", &[out(Fleet, 6443)]),
        pn("/usr/bin/docker", "docker compose pull", &[out(DOCKER_HUB, 443)]),
        p("/usr/bin/docker", "docker image ls"),
        p("/usr/bin/sudo", "sudo systemctl reload nginx"),
        p("/usr/bin/sudo", "sudo journalctl -u gunicorn -n 100"),
    ],
    Act::Quiet,
);

/// HAProxy in front of an application tier.
pub(crate) const HAPROXY: Service = svc(
    "/usr/sbin/haproxy",
    "|/usr/sbin/haproxy|-Ws|-f|/etc/haproxy/haproxy.cfg|-p|/run/haproxy.pid|-S|/run/haproxy-master.sock",
    "/",
    acct("118", "haproxy"),
    &[],
    Act::Net(&[accept(CLIENT_A, 443), accept(CLIENT_C, 443), out(Fleet, 8000), out(Fleet, 8080)]),
);

/// memcached.
pub(crate) const MEMCACHED: Service = svc(
    "/usr/bin/memcached",
    "/usr/bin/memcached -m 1024 -p 11211 -u memcache -l 0.0.0.0 -P /var/run/memcached/memcached.pid",
    "/",
    acct("119", "memcache"),
    &[],
    Act::Net(&[accept(Fleet, 11211)]),
);

/// RabbitMQ (the Erlang VM and its port programs).
pub(crate) const RABBITMQ: Service = svc(
    "/usr/lib/erlang/erts-12.2.1/bin/beam.smp",
    "|/usr/lib/erlang/erts-12.2.1/bin/beam.smp|-W|w|-MBas|ageffcbf|-MHas|ageffcbf|-MBlmbcs|512|-MHlmbcs|512|-MMmcs|30|-P|1048576|-t|5000000|-stbt|db|-zdbbl|128000|-sbwt|none|-sbwtdcpu|none|-sbwtdio|none|-B|i|--|-root|/usr/lib/erlang|-progname|erl|--|-home|/var/lib/rabbitmq",
    "/var/lib/rabbitmq",
    acct("120", "rabbitmq"),
    &[
        p("/usr/lib/erlang/erts-12.2.1/bin/inet_gethost", "inet_gethost 4"),
        p("/usr/lib/erlang/erts-12.2.1/bin/erl_child_setup", "erl_child_setup 65536"),
        p("/usr/lib/erlang/erts-12.2.1/bin/epmd", "/usr/lib/erlang/erts-12.2.1/bin/epmd -daemon"),
    ],
    Act::NetFiles(
        &[accept(Fleet, 5672), accept(Fleet, 15672), out(Fleet, 25672)],
        &[modify("/var/lib/rabbitmq/mnesia/rabbit@{host}/msg_stores/vhosts/{h}/queues/{h}/{n}.idx")],
    ),
);

/// HashiCorp Vault.
pub(crate) const VAULT: Service = svc(
    "/usr/bin/vault",
    "|/usr/bin/vault|server|-config=/etc/vault.d/vault.hcl",
    "/",
    acct("992", "vault"),
    &[],
    Act::NetFiles(
        &[accept(Fleet, 8200), out(Fleet, 8201), out(AWS_API, 443)],
        &[
            modify("/opt/vault/data/raft/raft.db"),
            modify("/var/log/vault/audit.log"),
        ],
    ),
);

/// containerd of a Kubernetes node, starting shims.
pub(crate) const CONTAINERD: Service = svc(
    "/usr/bin/containerd",
    "/usr/bin/containerd",
    "/",
    ROOT,
    &[
        p("/usr/bin/containerd-shim-runc-v2", "/usr/bin/containerd-shim-runc-v2 -namespace k8s.io -id {h}{h}{h}{h}{h}{h}{h}{h} -address /run/containerd/containerd.sock"),
        pn("/usr/local/bin/ecr-credential-provider", "/usr/local/bin/ecr-credential-provider", &[out(AWS_API, 443)]),
        p("/opt/cni/bin/aws-cni", "/opt/cni/bin/aws-cni"),
        p("/opt/cni/bin/portmap", "/opt/cni/bin/portmap"),
        p("/opt/cni/bin/bandwidth", "/opt/cni/bin/bandwidth"),
    ],
    Act::NetFiles(&[out(Public("52.94.225.242"), 443)], &[modify("/var/lib/containerd/io.containerd.metadata.v1.bolt/meta.db")]),
);

/// The services a host of each role runs on top of the base set.
pub(crate) const ROLES: &[&[&Service]] = &[
    &[&NGINX, &NODE_APP, &PM2],
    &[&NGINX, &GUNICORN, &CELERY],
    &[&HAPROXY, &MEMCACHED],
    &[&RABBITMQ],
    &[&VAULT, &CONSUL],
    &[&POSTGRESQL],
    &[&MYSQLD],
    &[&REDIS_SERVER],
    &[&CONTAINERD, &KUBELET],
    &[&ELASTICSEARCH_NODE],
    &[&PROMETHEUS_SERVER, &GRAFANA],
    &[&POSTFIX_MASTER],
    &[&NGINX, &PHP_FPM],
    &[&BUILD_AGENT, &DOCKERD],
];

/// The services every host runs.
pub(crate) const BASE: &[&Service] = &[
    &SYSTEMD,
    &CRON,
    &SSHD,
    &CHRONYD,
    &RESOLVED,
    &ELASTIC_AGENT,
    &SSM_AGENT,
    &NODE_EXPORTER,
    &RSYSLOGD,
    &JOURNALD,
    &TELEGRAF,
];
