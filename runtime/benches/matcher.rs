//! Prebuilt matchers against the naive `like`, on the IMDS rule's patterns.
//!
//! Inputs are seeded and small (2 cores shared). Each group asserts that both engines agree
//! on the match count, and the count itself, before anything is timed.

use std::hint::black_box;
use std::sync::LazyLock;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use eql_runtime::matcher::{like, Contains, Exact, Glob, Prefix};

const NAME_PATTERNS: &[&str] = &[
    "curl", "wget", "python*", "perl*", "php*", "ruby*", "lua*", "telnet", "pwsh", "openssl", "nc",
    "ncat", "netcat", "awk", "gawk", "mawk", "nawk", "socat", "node",
];
static NAME_EXACT: Exact = Exact::new(
    &[
        "curl", "wget", "telnet", "pwsh", "openssl", "nc", "ncat", "netcat", "awk", "gawk", "mawk",
        "nawk", "socat", "node",
    ],
    true,
);
static NAME_PREFIX: Prefix = Prefix::new(&["python", "perl", "php", "ruby", "lua"], true);

const EXE_PATTERNS: &[&str] = &[
    "./*",
    "/tmp/*",
    "/var/tmp/*",
    "/var/www/*",
    "/dev/shm/*",
    "/etc/init.d/*",
    "/etc/rc*.d/*",
    "/etc/cron*",
    "/etc/update-motd.d/*",
    "/boot/*",
    "/srv/*",
    "/run/*",
    "/etc/rc.local",
];
static EXE_PREFIX: Prefix = Prefix::new(
    &[
        "./",
        "/tmp/",
        "/var/tmp/",
        "/var/www/",
        "/dev/shm/",
        "/etc/init.d/",
        "/etc/cron",
        "/etc/update-motd.d/",
        "/boot/",
        "/srv/",
        "/run/",
    ],
    true,
);
static EXE_GLOB: Glob = Glob::new("/etc/rc*.d/*", true);
static EXE_EXACT: Exact = Exact::new(&["/etc/rc.local"], true);

static IMDS: LazyLock<Contains> = LazyLock::new(|| Contains::new(&["169.254.169.254"], true));

const NAMES: &[&str] = &[
    "bash",
    "sh",
    "curl",
    "Curl",
    "python3.11",
    "systemd",
    "sshd",
    "node",
    "nodejs",
    "awk",
    "cron",
    "containerd-shim",
    "dockerd",
    "kubelet",
    "php-fpm8.2",
    "perl",
    "sudo",
    "git",
    "ls",
    "ncat",
    "nginx",
    "postgres",
    "java",
    "ruby",
    "WGET",
    "grep",
    "sed",
    "tar",
    "gzip",
    "openssl",
];
const EXES: &[&str] = &[
    "/usr/bin/bash",
    "/usr/bin/curl",
    "/tmp/.x/payload",
    "/usr/sbin/sshd",
    "/etc/rc3.d/S01net",
    "/etc/rc.local",
    "/usr/lib/systemd/systemd",
    "/var/www/html/cgi",
    "/opt/app/bin/server",
    "/usr/local/bin/node",
    "/dev/shm/k",
    "/run/containerd/shim",
    "/etc/cron.daily/logrotate",
    "/usr/bin/python3.11",
    "/snap/bin/kubectl",
    "/usr/libexec/git-core/git",
    "./build.sh",
    "/etc/RC5.D/K99",
    "/home/user/.local/bin/tool",
    "/usr/bin/awk",
];
const CMDS: &[&str] = &[
    "curl -s http://169.254.169.254/latest/meta-data/iam/security-credentials/",
    "/usr/bin/bash -c 'for f in /var/log/*.log; do gzip -9 \"$f\"; done'",
    "python3 -m http.server 8080 --bind 0.0.0.0",
    "wget -qO- http://example.com/install.sh",
    "java -Xmx4g -jar /opt/app/server.jar --spring.profiles.active=prod --server.port=8443",
    "/usr/lib/systemd/systemd --switched-root --system --deserialize 31",
    "aws ec2 describe-instances --endpoint http://169.254.169.25/",
    "sshd: user [priv]",
    "node /srv/app/index.js --metadata-url=http://169.254.169.254:80/computeMetadata/v1/",
    "kubectl get pods -A -o wide",
];

/// Seeded pick of `n` values from a pool (xorshift, so runs are comparable).
fn sample(pool: &[&'static str], n: usize, seed: u64) -> Vec<&'static str> {
    let mut x = seed;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            pool[(x % pool.len() as u64) as usize]
        })
        .collect()
}

fn naive(pats: &[&str], s: &str) -> bool {
    pats.iter().any(|p| like(p, s, true))
}

fn group(
    c: &mut Criterion,
    name: &str,
    values: &[&str],
    pats: &[&str],
    expected: usize,
    prebuilt: impl Fn(&str) -> bool,
) {
    let fast = values.iter().filter(|v| prebuilt(v)).count();
    let slow = values.iter().filter(|v| naive(pats, v)).count();
    assert_eq!(fast, slow, "{name}: prebuilt and like disagree");
    assert_eq!(fast, expected, "{name}: match count");
    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Elements(values.len() as u64));
    g.bench_function("prebuilt", |b| {
        b.iter(|| black_box(values).iter().filter(|v| prebuilt(v)).count())
    });
    g.bench_function("like", |b| {
        b.iter(|| black_box(values).iter().filter(|v| naive(pats, v)).count())
    });
    g.finish();
}

fn benches(c: &mut Criterion) {
    let names = sample(NAMES, 10_000, 7);
    group(c, "imds/process.name", &names, NAME_PATTERNS, 3_668, |s| {
        NAME_EXACT.is_match(s) || NAME_PREFIX.is_match(s)
    });
    let exes = sample(EXES, 10_000, 11);
    group(
        c,
        "imds/process.executable",
        &exes,
        EXE_PATTERNS,
        4_603,
        |s| EXE_PREFIX.is_match(s) || EXE_GLOB.is_match(s) || EXE_EXACT.is_match(s),
    );
    let cmds = sample(CMDS, 10_000, 13);
    group(
        c,
        "imds/command_line",
        &cmds,
        &["*169.254.169.254*"],
        2_051,
        |s| IMDS.is_match(s),
    );
}

criterion_group! {
    name = matcher;
    config = Criterion::default().sample_size(20).warm_up_time(std::time::Duration::from_millis(500)).measurement_time(std::time::Duration::from_secs(2));
    targets = benches
}
criterion_main!(matcher);
