//! `eql-detect`: Elastic EQL detection rules, compiled to native code, over Elastic Defend NDJSON.
//!
//! With no arguments on a terminal it runs on the bundled sample and prints what it found.
//! See `eql-detect --help` and the README for the rest.

use eql_gen as gen;
mod input;
#[cfg(feature = "kafka")]
mod kafka;
mod output;
mod profile;
mod reload;
mod rules;
mod summary;
mod time;

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use clap::{Args, Parser, Subcommand, ValueEnum};
use eql_runtime::detector::{Alert, Config, Detector, LineOutcome, SkipReason};

use crate::input::{Line, LineReader, Source};
use crate::output::Format;
use crate::summary::Summary;

const EXIT_CODES: &str = "\
Exit codes:
  0  finished (whether or not anything was detected); also when stdout is closed early
  1  an input could not be read (missing, unreadable, truncated gzip) or an output failed
  2  usage error: bad options, no input, a --select that selects nothing, or a rule file or
     mapping that does not load (the message points at the file, line and column)
  3  --strict and a line could not be evaluated
  130  a second SIGINT/SIGTERM (the first stops after the current line, prints the summary
       and exits as above)

Input: NDJSON files (plain or gzip, detected by content), `-` for stdin, or stdin when no file
is given and stdin is a pipe or a file. `eql-detect` with no arguments at all and nothing piped
in runs on the bundled sample, whose alerts are tagged `sample`; any other invocation without
input is a usage error. Lines that cannot be evaluated (empty, invalid UTF-8 or JSON, not an
object, too deep, no or bad @timestamp, longer than --max-line-bytes) are skipped and counted;
the summary on stderr says where.";

/// Elastic EQL detection rules compiled to native code, run over Elastic Defend NDJSON.
#[derive(Parser, Debug)]
#[command(name = "eql-detect", version, after_help = EXIT_CODES, args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    cmd: Option<Cmd>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// List the rules: one line each (severity, shape, name, file), `--long` for all metadata.
    Rules {
        /// Only the compiled rules this filter selects (as for a run; repeatable, all must hold).
        #[arg(long, value_name = "FILTER", value_parser = rules::parse_select)]
        select: Vec<rules::Select>,
        /// One block per rule with all of its metadata.
        #[arg(long)]
        long: bool,
        #[command(flatten)]
        files: rules::RuleFiles,
    },
    /// Show what a rule really means: the fully parenthesised query and the evaluation plan.
    Explain {
        /// Rule name, rule id, file stem (`imds`), or a unique part of a name or id. May be
        /// left out with exactly one --rule-file: that rule.
        rule: Option<String>,
        #[command(flatten)]
        files: rules::RuleFiles,
    },
    /// Generate seeded Elastic Defend Linux NDJSON with labelled attack scenarios (IMDS and 17 others) and near misses.
    Gen(GenArgs),
    /// Run as a member of a Kafka consumer group: the topic's partitions are shared by the
    /// members, each partition gets its own detector, offsets are committed only once the
    /// events before them can no longer change an answer.
    #[cfg(feature = "kafka")]
    Kafka(Box<kafka::KafkaArgs>),
    /// Write NDJSON to a Kafka topic, one event per message, keyed by a field (host.id).
    #[cfg(feature = "kafka")]
    KafkaProduce(kafka::ProduceArgs),
}

#[derive(Args, Debug)]
struct RunArgs {
    /// NDJSON inputs (plain or gzip); `-` is stdin. (A file named like a subcommand: `./rules`.)
    inputs: Vec<PathBuf>,
    /// Output format [default: table on a terminal, else ndjson].
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Lines longer than this are skipped (`line_too_long`) without being held in memory.
    #[arg(long, default_value = "16MiB", value_parser = parse_size)]
    max_line_bytes: u64,
    /// How far out of timestamp order an event may arrive and still be joined (e.g. 2s, 500ms).
    /// Default: 5s when standard input is read (a live stream alerts at most that late);
    /// unbounded for files, which are then joined in timestamp order like Elasticsearch does,
    /// within the memory budget of the reorder buffer.
    #[arg(long, value_parser = parse_dur)]
    lateness: Option<u64>,
    /// Memory budget for detection state per sequence rule (¾ pending sequences, ¼ reorder
    /// buffer); beyond it the oldest keys are evicted and waiting events released early (counted).
    #[arg(long, default_value = "40MiB", value_parser = parse_size)]
    max_state_bytes: u64,
    /// Stop with exit code 3 at the first line that cannot be evaluated (implies --validate).
    #[arg(long)]
    strict: bool,
    /// Decode every line. By default a line containing none of the rules' literals is decided
    /// without decoding (it cannot match), so a malformed line of that kind is not noticed.
    #[arg(long)]
    validate: bool,
    /// Report every alert; by default a rule's max_signals per interval of event time applies, as
    /// in Kibana, and the withheld alerts are counted in the summary.
    #[arg(long)]
    no_alert_cap: bool,
    /// No progress bar and no summary (errors are still reported).
    #[arg(long, short)]
    quiet: bool,
    /// Summary format on stderr.
    #[arg(long, value_enum, default_value = "text")]
    summary: SummaryFormat,
    /// Also write the summary as JSON to this file.
    #[arg(long, value_name = "FILE")]
    stats_json: Option<PathBuf>,
    #[command(flatten)]
    rule_files: rules::RuleFiles,
    /// Run only the compiled rules this filter selects: `os:linux`, `tag:"Data Source: Elastic
    /// Defend"`, `index:logs-endpoint.events.*`, `name:*Privilege*`, `id:RULE_ID`,
    /// `severity:high`, `file:rules/elastic/linux/*`; alternatives separated by commas (any
    /// may hold). Repeatable: every
    /// filter must hold. `eql-detect rules --select …` shows what a filter selects.
    #[arg(long, value_name = "FILTER", value_parser = rules::parse_select)]
    select: Vec<rules::Select>,
    /// Threads that decode and evaluate lines of files (sequences and alerts stay in input order,
    /// so the output is the same for any number). Default: the available cores. Standard input
    /// (possibly a live stream) and --strict use one, so each line is handled as it arrives.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=256))]
    threads: Option<u32>,
    /// Read files through read(2) instead of mapping them into memory (use it for a file that
    /// may be truncated while it is read, which would crash a mapped read).
    #[arg(long)]
    no_mmap: bool,
    /// Samples per join key a `sample` rule reports at most (Elasticsearch's
    /// `max_samples_per_key`).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    max_samples_per_key: u32,
    /// Print what each rule costs on stderr at the end: evaluations, matching events, alerts and
    /// time, with the shared costs of the prefilter and decoding. Timing adds a clock read
    /// around every evaluation.
    #[arg(long)]
    profile: bool,
    /// Order of the --profile table.
    #[arg(long, value_enum, default_value = "time", requires = "profile")]
    profile_sort: profile::Sort,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum SummaryFormat {
    Text,
    Json,
}

#[derive(Args, Debug)]
struct GenArgs {
    /// Number of documents.
    #[arg(long, default_value_t = 5000)]
    events: u64,
    /// PRNG seed: the same seed and options always give the same bytes.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Number of hosts.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    hosts: u32,
    /// True IMDS sequences injected per million events (IMDS near misses, other attacks and their near misses: twice as many each).
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(0..=100_000))]
    inject_per_million: u32,
    /// Output file (`.gz` is compressed); stdout when absent.
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// Write the ground truth as JSON here: counts, and every injected scenario and near miss with its rule and event ids.
    #[arg(long, value_name = "FILE")]
    truth: Option<PathBuf>,
}

fn parse_size(s: &str) -> Result<u64, String> {
    time::parse_bytes(s)
}

fn parse_dur(s: &str) -> Result<u64, String> {
    time::parse_duration(s)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.cmd {
        Some(Cmd::Rules {
            select,
            long,
            files,
        }) => match rules::RuleSet::load(&select, &files) {
            Ok(set) => print_or_fail(rules::list(&set.all(), long)),
            Err(e) => {
                eprintln!("{e}");
                ExitCode::from(2)
            }
        },
        Some(Cmd::Explain { rule, files }) => match rules::RuleSet::load(&[], &files) {
            Ok(set) => match rules::explain(rule.as_deref(), &set.all(), set.loaded()) {
                Ok(text) => print_or_fail(text),
                Err(msg) => {
                    eprintln!("eql-detect: {msg}");
                    ExitCode::from(2)
                }
            },
            Err(e) => {
                eprintln!("{e}");
                ExitCode::from(2)
            }
        },
        Some(Cmd::Gen(args)) => run_gen(&args),
        #[cfg(feature = "kafka")]
        Some(Cmd::Kafka(args)) => kafka::run(&args, &interrupt_flag()),
        #[cfg(feature = "kafka")]
        Some(Cmd::KafkaProduce(args)) => kafka::produce(&args),
        None => run_detect(&cli.run, std::env::args_os().len() == 1),
    }
}

/// Prints to stdout; a closed pipe is not an error.
fn print_or_fail(text: String) -> ExitCode {
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("eql-detect: writing output: {e}");
            ExitCode::from(1)
        }
    }
}

fn run_gen(args: &GenArgs) -> ExitCode {
    let cfg = gen::GenConfig {
        events: args.events,
        seed: args.seed,
        hosts: args.hosts,
        inject_per_million: args.inject_per_million,
    };
    let started = Instant::now();
    let result = match &args.output {
        None => {
            let mut out = BufWriter::with_capacity(1 << 20, io::stdout().lock());
            gen::generate(&cfg, &mut out).and_then(|t| out.flush().map(|()| t))
        }
        Some(path) => {
            let gz = path.extension().is_some_and(|e| e == "gz");
            File::create(path).and_then(|f| {
                let buf = BufWriter::with_capacity(1 << 20, f);
                if gz {
                    let mut enc =
                        flate2::write::GzEncoder::new(buf, flate2::Compression::default());
                    let t = gen::generate(&cfg, &mut enc)?;
                    enc.finish()?
                        .into_inner()
                        .map_err(|e| e.into_error())?
                        .sync_all()?;
                    Ok(t)
                } else {
                    let mut buf = buf;
                    let t = gen::generate(&cfg, &mut buf)?;
                    buf.into_inner().map_err(|e| e.into_error())?;
                    Ok(t)
                }
            })
        }
    };
    let truth = match result {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return ExitCode::SUCCESS,
        Err(e) => {
            let target = args
                .output
                .as_ref()
                .map_or("<stdout>".into(), |p| p.display().to_string());
            eprintln!("eql-detect gen: {target}: {e}");
            return ExitCode::from(1);
        }
    };
    let secs = started.elapsed().as_secs_f64();
    if let Some(path) = &args.truth {
        let json = truth.to_json(&cfg);
        if let Err(e) = std::fs::write(path, format!("{json}\n")) {
            eprintln!("eql-detect gen: {}: {e}", path.display());
            return ExitCode::from(1);
        }
    }
    let rules: std::collections::BTreeSet<&str> = truth.scenarios.iter().map(|s| s.rule).collect();
    eprintln!(
        "eql-detect gen: {} events, {:.1} MB in {:.2} s ({:.0} MB/s); {} scenarios for {} rules \
         ({} true IMDS sequences), {} near misses{}",
        truth.events,
        truth.bytes as f64 / 1e6,
        secs,
        truth.bytes as f64 / 1e6 / secs.max(1e-9),
        truth.scenarios.len(),
        rules.len(),
        truth.true_sequences,
        truth.near_miss_list.len(),
        args.truth
            .as_ref()
            .map_or(String::new(), |p| format!("; truth in {}", p.display()))
    );
    ExitCode::SUCCESS
}

/// Why the line loop stopped early.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stop {
    Interrupted,
    OutputClosed,
    Strict,
    OutputFailed,
}

impl Stop {
    fn as_str(self) -> &'static str {
        match self {
            Stop::Interrupted => "interrupted",
            Stop::OutputClosed => "output_closed",
            Stop::Strict => "strict",
            Stop::OutputFailed => "output_failed",
        }
    }
}

/// Where alerts go. A write error is kept (and ends the run) rather than returned through the
/// detector's callback, which has no way to report one.
struct AlertSink {
    out: BufWriter<io::StdoutLock<'static>>,
    format: Format,
    origin: output::Origin,
    err: Option<io::Error>,
}

impl AlertSink {
    fn emit(&mut self, alert: Alert) {
        if self.err.is_none() {
            if let Err(e) = output::write_alert(&mut self.out, self.format, &alert, self.origin) {
                self.err = Some(e);
            }
        }
    }

    /// Why the run must stop, if writing failed.
    fn stop(&self) -> Option<Stop> {
        self.err.as_ref().map(|e| {
            if e.kind() == io::ErrorKind::BrokenPipe {
                Stop::OutputClosed
            } else {
                Stop::OutputFailed
            }
        })
    }
}

/// Per-run reading options.
struct ReadOpts {
    max_line: usize,
    strict: bool,
    /// Map files into memory.
    mmap: bool,
    show_progress: bool,
    threads: usize,
}

/// What to read. With no input named, standard input when it carries data (a pipe or a file);
/// otherwise the bundled sample, but only for a bare `eql-detect` (no arguments at all): any
/// other invocation that names no input and has none on standard input is a usage error, so a
/// cron job or an empty glob never turns into sample alerts.
fn sources(args: &RunArgs, bare: bool) -> Result<Vec<Source>, String> {
    if args.inputs.is_empty() {
        return if !stdin_is_not_data() {
            Ok(vec![Source::Stdin])
        } else if bare {
            Ok(vec![Source::Sample])
        } else {
            Err(
                "no input: name NDJSON files (plain or gzip), `-` for standard input, or pipe \
                 events in (standard input is a terminal or a device here). `eql-detect` with \
                 no arguments at all runs on the bundled sample."
                    .to_owned(),
            )
        };
    }
    Ok(args
        .inputs
        .iter()
        .map(|p| {
            if p.as_os_str() == "-" {
                Source::Stdin
            } else {
                Source::File(p.clone())
            }
        })
        .collect())
}

/// SIGINT/SIGTERM set a flag checked between lines, so the summary is still printed. A second
/// signal while the flag is set exits at once (130): a read blocked on a quiet pipe would
/// otherwise only notice the flag when the next line arrives.
fn interrupt_flag() -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        let installed =
            signal_hook::flag::register_conditional_shutdown(sig, 130, Arc::clone(&flag))
                .and_then(|_| signal_hook::flag::register(sig, Arc::clone(&flag)));
        if let Err(e) = installed {
            eprintln!("eql-detect: cannot install a signal handler: {e}");
        }
    }
    flag
}

fn run_detect(args: &RunArgs, bare: bool) -> ExitCode {
    let started = Instant::now();
    let interrupted = interrupt_flag();
    let format = args.format.unwrap_or(if io::stdout().is_terminal() {
        Format::Table
    } else {
        Format::Ndjson
    });
    let opts = ReadOpts {
        max_line: usize::try_from(args.max_line_bytes).unwrap_or(usize::MAX),
        strict: args.strict,
        mmap: !args.no_mmap,
        show_progress: !args.quiet && io::stderr().is_terminal(),
        // --strict stops at the first bad line, so lines are taken one at a time.
        threads: if args.strict {
            1
        } else {
            args.threads.map_or_else(
                || std::thread::available_parallelism().map_or(1, |n| n.get()),
                |n| n as usize,
            )
        },
    };

    if !args.select.is_empty()
        && (args.rule_files.no_builtin_rules || rules::selected(&args.select).is_empty())
    {
        eprintln!("eql-detect: no compiled rule matches --select; `eql-detect rules --select …` shows what a filter selects");
        return ExitCode::from(2);
    }
    let rules = match rules::RuleSet::load(&args.select, &args.rule_files) {
        Ok(set) => set.all(),
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    // Rules first: a rule file with a mistake is the first thing to hear about.
    let sources = match sources(args, bare) {
        Ok(s) => s,
        Err(msg) => {
            eprintln!("eql-detect: {msg}");
            return ExitCode::from(2);
        }
    };
    let cfg = Config {
        lateness_nanos: args
            .lateness
            .unwrap_or(if sources.contains(&Source::Stdin) {
                5_000_000_000
            } else {
                u64::MAX
            }),
        max_state_bytes: usize::try_from(args.max_state_bytes).unwrap_or(usize::MAX),
        alert_cap: !args.no_alert_cap,
        // --strict promises to stop at the first bad line, so every line must be looked at.
        prefilter: !(args.validate || args.strict),
        max_samples_per_key: args.max_samples_per_key as usize,
        profile: args.profile,
        ..Config::default()
    };
    let mut det = match Detector::new(rules, cfg) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("eql-detect: {e}");
            return ExitCode::from(1);
        }
    };

    let origin = if sources == [Source::Sample] {
        // A bare invocation: there are no options to quiet this.
        eprintln!(
            "eql-detect: no input given; running on the bundled sample (2,000 generated Elastic \
             Defend events with injected attack scenarios); its alerts are tagged `sample`. \
             Try `eql-detect FILE.ndjson[.gz]` or `--help`."
        );
        output::Origin::Sample
    } else {
        output::Origin::Input
    };

    let mut sink = AlertSink {
        out: BufWriter::with_capacity(64 << 10, io::stdout().lock()),
        format,
        origin,
        err: None,
    };
    let mut summary = Summary::default();
    let mut stop = None;
    // A stream runs until it ends: it reloads its rules when asked to.
    let reloader = sources
        .contains(&Source::Stdin)
        .then(|| reload::Reloader::start(&args.select, &args.rule_files));
    for source in &sources {
        let run = Run {
            det: &mut det,
            sink: &mut sink,
            summary: &mut summary,
            opts: &opts,
            interrupted: &interrupted,
            reloader: reloader.as_ref(),
        };
        stop = read_source(source, run);
        if stop.is_some() {
            break;
        }
    }

    // End of input (or a clean stop): release what the reorder buffer still holds.
    if !matches!(stop, Some(Stop::OutputClosed | Stop::OutputFailed)) {
        det.finish(&mut |a| sink.emit(a));
    }
    if sink.err.is_none() {
        if let Err(e) = sink.out.flush() {
            sink.err = Some(e);
        }
    }
    match sink.stop() {
        Some(Stop::OutputClosed) => {
            stop.get_or_insert(Stop::OutputClosed);
        }
        Some(s) => {
            if let Some(e) = &sink.err {
                eprintln!("eql-detect: writing alerts: {e}");
            }
            stop = Some(s);
        }
        None => {}
    }

    let stats = det.stats();
    let rule_names: Vec<(String, String)> = det
        .metas()
        .map(|m| (m.name.to_owned(), m.rule_id.to_owned()))
        .collect();
    summary.absorb(&stats, &rule_names);
    summary.stopped = stop.map(|s| s.as_str().to_owned());
    summary.set_elapsed(started.elapsed().as_secs_f64());

    let mut code = match stop {
        Some(Stop::Strict) => ExitCode::from(3),
        Some(Stop::OutputFailed) => ExitCode::from(1),
        _ if !summary.input_errors.is_empty() => ExitCode::from(1),
        _ => ExitCode::SUCCESS,
    };
    if let Some(path) = &args.stats_json {
        if let Err(e) = std::fs::write(path, summary.to_json() + "\n") {
            eprintln!("eql-detect: {}: {e}", path.display());
            code = ExitCode::from(1);
        }
    }
    if !args.quiet {
        let text = match args.summary {
            SummaryFormat::Text => summary.to_text(),
            SummaryFormat::Json => summary.to_json() + "\n",
        };
        // stderr may be closed too; nothing useful is left to do about that.
        let _ = io::stderr().write_all(text.as_bytes());
    }
    if args.profile {
        let text = profile::report(&stats, &rule_names, args.profile_sort);
        let _ = io::stderr().write_all(text.as_bytes());
    }
    code
}

/// What reading a source works with.
struct Run<'r> {
    det: &'r mut Detector,
    sink: &'r mut AlertSink,
    summary: &'r mut Summary,
    opts: &'r ReadOpts,
    interrupted: &'r AtomicBool,
    /// For a stream: reloads the rules when asked to.
    reloader: Option<&'r reload::Reloader>,
}

/// Applies a due reload to a stream's detector, between two lines.
fn reload_if_due(reloader: Option<&reload::Reloader>, det: &mut Detector) {
    let Some(due) = reloader.and_then(reload::Reloader::due) else {
        return;
    };
    let replaced = due.and_then(|set| det.replace_rules(set.all()).map_err(|e| e.to_string()));
    match replaced {
        Ok(r) => eprintln!("{}", reload::describe(&r)),
        Err(e) => eprintln!("{}", reload::describe_failure(&e)),
    }
}

/// Feeds one source to the detector, line by line. Returns why the whole run must stop, if it
/// must; an unreadable or damaged source is recorded in the summary and the run goes on.
fn read_source(source: &Source, run: Run<'_>) -> Option<Stop> {
    let Run {
        det,
        sink,
        summary,
        opts,
        interrupted,
        reloader,
    } = run;
    let name = source.name();
    let pb = match source {
        Source::File(_) if opts.show_progress => Some(progress_bar()),
        _ => None,
    };
    let opened = match input::open(source, pb.as_ref(), opts.mmap) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("eql-detect: {name}: {e}");
            summary.input_errors.push(format!("{name}: {e}"));
            return None;
        }
    };
    if let (Some(pb), Some(len)) = (&pb, opened.len) {
        pb.set_length(len);
        pb.set_message(name.clone());
    }
    let input::Opened {
        reader,
        gzip,
        mapped,
        ..
    } = opened;
    let reader: Box<dyn io::BufRead> = match mapped {
        Some(m) if !opts.strict => {
            let stop = read_mapped(&m, &name, det, sink, summary, opts, interrupted);
            if let Some(pb) = pb {
                pb.finish_and_clear();
            }
            return stop;
        }
        // --strict takes one line at a time.
        Some(m) => Box::new(m),
        None => reader,
    };
    let mut reader = LineReader::new(reader, opts.max_line);
    let mut line_no: u64 = 0;
    // A pipe may be a live stream: each line is handled as it arrives, never held for a batch.
    let batched = opts.threads > 1 && !matches!(source, Source::Stdin);
    let stop = if batched {
        read_batched(
            &mut reader,
            &name,
            gzip,
            det,
            sink,
            summary,
            opts,
            interrupted,
        )
    } else {
        loop {
            if interrupted.load(Ordering::Relaxed) {
                break Some(Stop::Interrupted);
            }
            let line = match reader.next_line() {
                Ok(Some(line)) => line,
                Ok(None) => break None,
                Err(e) => {
                    read_error(name.as_str(), gzip, line_no, &e, summary);
                    break None;
                }
            };
            line_no += 1;
            reload_if_due(reloader, det);
            let outcome = match line {
                Line::Data(bytes) => det.push_line(bytes, &mut |a| sink.emit(a)),
                Line::TooLong { bytes } => {
                    det.skip_line(SkipReason::LineTooLong, bytes + 1);
                    LineOutcome::Skipped(SkipReason::LineTooLong)
                }
            };
            if let LineOutcome::Skipped(reason) = outcome {
                summary.note_skip(reason.as_str(), || format!("{name}:{line_no}"));
                if opts.strict {
                    eprintln!("eql-detect: {name}:{line_no}: {reason} (--strict)");
                    break Some(Stop::Strict);
                }
            }
            if let Some(s) = sink.stop() {
                break Some(s);
            }
        }
    };
    if let Some(pb) = pb {
        pb.finish_and_clear();
    }
    stop
}

/// Bytes of a mapped file taken at a time: split among the threads, each finding its own lines.
/// Small enough that the region's evaluated lines (a flood of matches holds a copy of each) stay
/// a small part of the memory budget.
const REGION_BYTES: usize = 2 << 20;

/// [`read_source`] over a mapped file: nothing is copied. Each region is cut at line boundaries
/// into more parts than threads, taken in turn (so a thread that drew cheap lines takes more);
/// the threads split and evaluate their parts, this one among them, and the results are applied
/// in input order, so alerts and counts are those of a one-thread run.
fn read_mapped(
    mapped: &input::Mapped,
    name: &str,
    det: &mut Detector,
    sink: &mut AlertSink,
    summary: &mut Summary,
    opts: &ReadOpts,
    interrupted: &AtomicBool,
) -> Option<Stop> {
    /// What a thread found for one line.
    enum Item {
        Decided(eql_runtime::detector::Decided),
        TooLong(u64),
    }
    fn evaluate(det: &Detector, part: &[u8], max: usize) -> Vec<Item> {
        let mut doc = eql_runtime::event::Doc::new();
        let mut items = Vec::new();
        input::split_lines(part, max, |piece| {
            items.push(match piece {
                input::Piece::Line(line) => Item::Decided(det.evaluate(&mut doc, line)),
                input::Piece::TooLong(n) => Item::TooLong(n),
            })
        });
        items
    }

    let bytes = mapped.data();
    let mut line_no: u64 = 0;
    for span in input::regions(bytes, REGION_BYTES) {
        if interrupted.load(Ordering::Relaxed) {
            return Some(Stop::Interrupted);
        }
        let region = &bytes[span.clone()];
        // More parts than threads, taken in turn: a thread that drew cheap lines takes more.
        let want = if opts.threads > 1 {
            opts.threads * 8
        } else {
            1
        };
        let parts: Vec<&[u8]> = input::regions(region, region.len().div_ceil(want))
            .map(|r| &region[r])
            .collect();
        let shared = &*det;
        let next = std::sync::atomic::AtomicUsize::new(0);
        let work = || {
            let mut done = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(part) = parts.get(i) else { break };
                done.push((i, evaluate(shared, part, opts.max_line)));
            }
            done
        };
        let mut items: Vec<(usize, Vec<Item>)> = if parts.len() <= 1 || opts.threads == 1 {
            work()
        } else {
            std::thread::scope(|scope| {
                let handles: Vec<_> = (1..opts.threads).map(|_| scope.spawn(work)).collect();
                // This thread works too.
                let mut all = work();
                for h in handles {
                    match h.join() {
                        Ok(v) => all.extend(v),
                        // Evaluation does not panic on any input; if it ever did, surface it.
                        Err(panic) => std::panic::resume_unwind(panic),
                    }
                }
                all
            })
        };
        items.sort_unstable_by_key(|(i, _)| *i);
        let items = items.into_iter().map(|(_, v)| v);
        for item in items.into_iter().flatten() {
            line_no += 1;
            let outcome = match item {
                Item::Decided(d) => det.apply(d, &mut |a| sink.emit(a)),
                Item::TooLong(n) => {
                    det.skip_line(SkipReason::LineTooLong, n + 1);
                    LineOutcome::Skipped(SkipReason::LineTooLong)
                }
            };
            if let LineOutcome::Skipped(reason) = outcome {
                summary.note_skip(reason.as_str(), || format!("{name}:{line_no}"));
            }
        }
        mapped.advance(span.start, region.len());
        if let Some(s) = sink.stop() {
            return Some(s);
        }
    }
    None
}

/// Lines per batch when several threads evaluate: large enough to amortise starting the
/// threads, small enough to keep memory flat and alerts prompt.
const BATCH_LINES: usize = 8192;
const BATCH_BYTES: usize = 16 << 20;

/// [`read_source`] on several threads: lines are copied into a batch, evaluated in parallel and
/// applied in order, so alerts and counts are those of a one-thread run.
#[allow(clippy::too_many_arguments)] // The same state read_source threads through, plus the reader.
fn read_batched<R: io::BufRead>(
    reader: &mut LineReader<R>,
    name: &str,
    gzip: bool,
    det: &mut Detector,
    sink: &mut AlertSink,
    summary: &mut Summary,
    opts: &ReadOpts,
    interrupted: &AtomicBool,
) -> Option<Stop> {
    let mut data: Vec<u8> = Vec::with_capacity(BATCH_BYTES);
    let mut ends: Vec<(usize, u64)> = Vec::with_capacity(BATCH_LINES);
    let mut line_no: u64 = 0;
    loop {
        if interrupted.load(Ordering::Relaxed) {
            return Some(Stop::Interrupted);
        }
        data.clear();
        ends.clear();
        let mut eof = false;
        while ends.len() < BATCH_LINES && data.len() < BATCH_BYTES {
            match reader.next_line() {
                Ok(Some(Line::Data(bytes))) => {
                    line_no += 1;
                    data.extend_from_slice(bytes);
                    ends.push((data.len(), line_no));
                }
                Ok(Some(Line::TooLong { bytes })) => {
                    line_no += 1;
                    det.skip_line(SkipReason::LineTooLong, bytes + 1);
                    summary.note_skip(SkipReason::LineTooLong.as_str(), || {
                        format!("{name}:{line_no}")
                    });
                }
                Ok(None) => {
                    eof = true;
                    break;
                }
                Err(e) => {
                    read_error(name, gzip, line_no, &e, summary);
                    eof = true;
                    break;
                }
            }
        }
        let mut start = 0;
        let lines: Vec<&[u8]> = ends
            .iter()
            .map(|&(end, _)| {
                let l = &data[start..end];
                start = end;
                l
            })
            .collect();
        let outcomes = det.push_batch(&lines, opts.threads, &mut |a| sink.emit(a));
        for (outcome, &(_, no)) in outcomes.iter().zip(&ends) {
            if let LineOutcome::Skipped(reason) = outcome {
                summary.note_skip(reason.as_str(), || format!("{name}:{no}"));
            }
        }
        if let Some(s) = sink.stop() {
            return Some(s);
        }
        if eof {
            return None;
        }
    }
}

/// Reports a failed read (or a corrupt gzip stream) after `line_no` lines of `name`.
fn read_error(name: &str, gzip: bool, line_no: u64, e: &io::Error, summary: &mut Summary) {
    let what = if gzip {
        format!("{name}: truncated or corrupt gzip after line {line_no}: {e}")
    } else {
        format!("{name}: read error after line {line_no}: {e}")
    };
    eprintln!("eql-detect: {what}");
    summary.input_errors.push(what);
}

/// True when stdin cannot be carrying NDJSON: a terminal, or a character device such as
/// `/dev/null` (what CI runners and `nohup` give). Then the bundled sample runs instead, so the
/// README's `cargo run --release` works wherever it is typed.
fn stdin_is_not_data() -> bool {
    if io::stdin().is_terminal() {
        return true;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if let Ok(meta) = std::fs::metadata("/dev/stdin") {
            return meta.file_type().is_char_device();
        }
    }
    false
}

fn progress_bar() -> indicatif::ProgressBar {
    let pb = indicatif::ProgressBar::new(0);
    pb.set_draw_target(indicatif::ProgressDrawTarget::stderr_with_hz(4));
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{msg} {wide_bar} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
    ) {
        pb.set_style(style);
    }
    pb
}
