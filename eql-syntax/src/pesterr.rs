//! pest's "expected …" errors, in words.

use crate::diag::Diagnostic;
use crate::parser::Rule;
use crate::span::Span;
use pest::error::{Error, ErrorVariant, InputLocation};

/// How an expected rule is named in a message (`None`: do not mention it).
fn describe(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::rparen => "`)`",
        Rule::lparen => "`(`",
        Rule::rbracket => "`]`",
        Rule::lbracket => "`[`",
        Rule::comma => "`,`",
        Rule::assign => "`=`",
        Rule::pipe_bar | Rule::pipe => "`|`",
        Rule::kw_where => "`where`",
        Rule::kw_and | Rule::kw_or => "`and`/`or`",
        Rule::kw_by | Rule::by_clause => "`by`",
        Rule::kw_with | Rule::maxspan_clause | Rule::runs_clause => "`with`",
        Rule::kw_maxspan => "`maxspan`",
        Rule::kw_until | Rule::until_clause => "`until`",
        Rule::stage | Rule::missing => "a stage `[…]`",
        Rule::category | Rule::kw_any => "an event category",
        Rule::event_query | Rule::query => "a query",
        Rule::cmp_op | Rule::bad_eq => "a comparison operator",
        Rule::arith_op => "an arithmetic operator",
        Rule::match_op | Rule::in_op | Rule::negated_in | Rule::bad_neq_match => {
            "`:`, `like`, `regex` or `in`"
        }
        Rule::field | Rule::field_path | Rule::optional_mark | Rule::quoted_ident => "a field",
        Rule::ident | Rule::plain_segment => "a name",
        Rule::time_value | Rule::number => "a number",
        Rule::time_unit => "a time unit",
        Rule::pipe_name => "a pipe name",
        Rule::EOI => "end of query",
        Rule::kw_sequence | Rule::kw_sample | Rule::kw_join => "a query",
        _ => "an expression",
    })
}

/// The token at `pos`, for "found …".
fn found(src: &str, pos: usize) -> (String, usize) {
    let rest = src.get(pos..).unwrap_or("");
    let Some(c) = rest.chars().next() else {
        return ("end of query".to_string(), 0);
    };
    let len = if c.is_ascii_alphanumeric() || c == '_' || c == '@' {
        rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '@'))
            .unwrap_or(rest.len())
    } else {
        c.len_utf8()
    };
    let tok: String = rest[..len].chars().take(40).collect();
    (format!("`{tok}`"), len)
}

const KEYWORDS: &[&str] = &[
    "and", "any", "by", "false", "in", "join", "like", "maxspan", "not", "null", "of", "or",
    "regex", "sample", "sequence", "true", "until", "where", "with",
];

/// Turns a pest error into one diagnostic with a friendly message.
pub(crate) fn syntax_error(src: &str, e: &Error<Rule>) -> Diagnostic {
    let pos = match e.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    let pos = pos.min(src.len());
    let (tok, len) = found(src, pos);
    let span = Span::new(pos, pos + len);
    let mut expected: Vec<&str> = Vec::new();
    if let ErrorVariant::ParsingError { positives, .. } = &e.variant {
        for r in positives {
            if let Some(d) = describe(*r) {
                if !expected.contains(&d) {
                    expected.push(d);
                }
            }
        }
    }
    let bare = tok.trim_matches('`');
    let message = match expected.as_slice() {
        [] => format!("unexpected {tok}"),
        [one] => format!("expected {one}, found {tok}"),
        [init @ .., last] => format!("expected {} or {last}, found {tok}", init.join(", ")),
    };
    let message = if expected.contains(&"`)`") && (bare == "]" || tok == "end of query") {
        format!("unbalanced parenthesis: {message}")
    } else {
        message
    };
    let d = Diagnostic::error(message, span);
    if KEYWORDS.contains(&bare)
        && (expected.contains(&"a field") || expected.contains(&"an expression"))
    {
        d.with_help(format!(
            "`{bare}` is a keyword; write a field of that name in backquotes, as in `` `{bare}` ``"
        ))
        .with_note("keywords are not valid as bare field names")
    } else if KEYWORDS.contains(&bare.to_ascii_lowercase().as_str())
        && bare != bare.to_ascii_lowercase()
    {
        d.with_help(format!(
            "EQL keywords are lower-case: write `{}`",
            bare.to_ascii_lowercase()
        ))
    } else {
        d
    }
}
