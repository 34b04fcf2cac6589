//! Lucene regular expressions: translation rules, and every `regex`/`regex~` pattern of the
//! Elastic detection-rule corpus translates and compiles.

use eql_runtime::matcher::{translate_lucene_regex, Regex};

const CORPUS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../testdata/elastic-eql-rules.jsonl"
);

fn re(pat: &str, ci: bool) -> Regex {
    Regex::new(pat, ci).unwrap_or_else(|e| panic!("{pat:?}: {e}"))
}

/// Reads one EQL string literal at the start of `s` (after spaces): `"""raw"""` or `"…"` with
/// the EQL escapes. Returns the value and the rest.
fn eql_string(s: &str) -> Option<(String, &str)> {
    let s = s.trim_start();
    if let Some(rest) = s.strip_prefix("\"\"\"") {
        let end = rest.find("\"\"\"")?;
        return Some((rest[..end].to_owned(), &rest[end + 3..]));
    }
    let rest = s.strip_prefix('"')?;
    let mut out = String::new();
    let mut it = rest.char_indices();
    while let Some((i, c)) = it.next() {
        match c {
            '"' => return Some((out, &rest[i + 1..])),
            '\\' => match it.next()?.1 {
                'n' => out.push('\n'),
                'r' => out.push('\r'),
                't' => out.push('\t'),
                'u' => {
                    let tail = &rest[i + 2..];
                    let close = tail.find('}')?;
                    let hex = tail.get(1..close)?;
                    out.push(char::from_u32(u32::from_str_radix(hex, 16).ok()?)?);
                    for _ in 0..=close {
                        it.next();
                    }
                }
                other => out.push(other),
            },
            c => out.push(c),
        }
    }
    None
}

/// Every (pattern, case-insensitive) operand of `regex`/`regex~` in a query.
fn regex_operands(q: &str) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(off) = q[at..].find("regex") {
        let mut rest = &q[at + off + 5..];
        at += off + 5;
        let ci = rest.starts_with('~');
        if ci {
            rest = &rest[1..];
        }
        let trimmed = rest.trim_start();
        if let Some(list) = trimmed.strip_prefix('(') {
            let mut cur = list;
            while let Some((v, tail)) = eql_string(cur) {
                out.push((v, ci));
                let tail = tail.trim_start();
                match tail.strip_prefix(',') {
                    Some(t) => cur = t,
                    None => break,
                }
            }
        } else if let Some((v, _)) = eql_string(trimmed) {
            out.push((v, ci));
        }
    }
    out
}

#[test]
fn every_corpus_regex_translates_and_compiles() {
    let text = std::fs::read_to_string(CORPUS).expect("corpus present");
    let mut n = 0;
    let mut failures = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line).expect("json line");
        let Some(q) = v.get("query").and_then(|q| q.as_str()) else {
            continue;
        };
        for (pat, ci) in regex_operands(q) {
            n += 1;
            if let Err(e) = Regex::new(&pat, ci) {
                failures.push(format!("{pat:?} (ci={ci}): {e}"));
            }
        }
    }
    assert!(n >= 40, "extracted only {n} patterns");
    assert!(
        failures.is_empty(),
        "{} of {n} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn corpus_patterns_behave() {
    let tld = re(r".*\.(top|xyz|onion)", false);
    assert!(tld.is_match("evil.onion") && !tld.is_match("evil.onion.com"));
    let run = re(r"/var/run/\w+\.(pid|lock|reboot)", true);
    assert!(run.is_match("/var/run/sshd.pid") && run.is_match("/VAR/RUN/X_1.LOCK"));
    assert!(!run.is_match("/var/run/a-b.pid"));
    let ip = re(r".*[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}.*", false);
    assert!(ip.is_match("curl http://169.254.169.254/") && !ip.is_match("no ip here"));
    let php = re(r"php?[0-9]?\.?[0-9]{0,2}", true);
    assert!(php.is_match("PHP7.4") && php.is_match("ph") && !php.is_match("php7.4.1"));
    let prog = re(r"C:\\Program Files( \(x86\))?\\Steam\\.*", true);
    assert!(prog.is_match(r"c:\program files (x86)\steam\steam.exe"));
    let drive = re(r"[A-Z]:\\:.+", true);
    // Lucene 9 folds single ASCII letters only; ranges stay case-sensitive.
    assert!(drive.is_match(r"C:\:x") && !drive.is_match(r"c:\:x"));
}

#[test]
fn lucene_specifics() {
    // A backslash escapes; `\n` is the letter n.
    assert!(re(r"a\nb", false).is_match("anb"));
    assert!(re(r"a\.b", false).is_match("a.b") && !re(r"a\.b", false).is_match("axb"));
    // Predefined classes (Lucene 9), also inside brackets.
    assert!(re(r"\d+", false).is_match("123") && !re(r"\d+", false).is_match("١٢"));
    assert!(re(r"[\s_]+", false).is_match(" _\t") && re(r"\S\W", false).is_match("a-"));
    // Anchored: whole-value match only.
    assert!(!re("abc", false).is_match("xabcx"));
    // `.` is one code point, `@` any string, `#` nothing, `()` empty.
    assert!(re(".", false).is_match("日") && !re(".", false).is_match("ab"));
    assert!(re("a@", false).is_match("a\nanything"));
    assert!(!re("#", false).is_match("") && !re("a|#", false).is_match("#"));
    assert!(re("a()b", false).is_match("ab"));
    // Quoted strings are literal.
    assert!(re(r#""a.b*"c"#, false).is_match("a.b*c") && !re(r#""a.b*""#, false).is_match("axb"));
    // Repeats stack and are greedy: `a+?` is `(a+)?`.
    assert!(re("a+?", false).is_match("") && re("a+?", false).is_match("aaa"));
    assert!(!re("a{3,2}", false).is_match("aa") && !re("a{3,2}", false).is_match("aaa"));
    assert!(re("a{2,}", false).is_match("aaaa") && !re("a{2}", false).is_match("aaa"));
    // Regex-crate metacharacters are plain characters in Lucene.
    assert!(re("^a$", false).is_match("^a$"));
    assert!(re(r"\(\)\[\]\{\}", false).is_match("()[]{}"));
    // A leading operator character is a literal, as Lucene parses it.
    assert!(re("*a", false).is_match("*a") && !re("*a", false).is_match("*aa"));
    // ...and the second `*` of `**` repeats the first: any run of `*`.
    assert!(re("**", false).is_match("") && re("**", false).is_match("***"));
    // Negated classes exclude both cases when case-insensitive.
    assert!(!re("[^a]", true).is_match("A") && re("[^a]", true).is_match("b"));
    // Case-insensitivity is ASCII only.
    assert!(re("abc", true).is_match("AbC") && !re("é", true).is_match("É"));
}

#[test]
fn untranslatable_constructs_are_rejected() {
    for (pat, needle) in [
        ("~a", "complement"),
        ("a&b", "intersection"),
        ("<name>", "named automaton"),
        ("(a", "expected `)`"),
        ("[a", "expected `]`"),
        ("a)", "end of pattern expected"),
        ("\"abc", "expected `\"`"),
        ("a\\", "end of pattern"),
        ("[z-a]", "invalid range"),
        ("a{x}", "integer expected"),
        ("<1-x>", "interval syntax"),
        ("|a", ""),
    ] {
        match translate_lucene_regex(pat, false) {
            Err(e) => assert!(e.contains(needle), "{pat:?}: {e}"),
            // `|a` is accepted by Lucene: a leading `|` is a literal.
            Ok(_) if pat == "|a" => assert!(re(pat, false).is_match("|a")),
            Ok(t) => panic!("{pat:?} translated to {t}"),
        }
    }
}

#[test]
fn hostile_patterns_do_not_panic() {
    let pats = [
        "",
        "[",
        "]",
        "{",
        "}",
        "a{99999999999}",
        "<>",
        "<->",
        "<1-2-3>",
        "\\",
        "[^",
        "[\\",
        "((((",
        "\"",
        "a|",
        "@@@",
        "##",
    ];
    for p in pats {
        for ci in [false, true] {
            if let Ok(r) = Regex::new(p, ci) {
                let _ = r.is_match("abc");
            }
        }
    }
}
