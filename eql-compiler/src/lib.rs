//! Internal to this workspace; no semver guarantees.
//!
//! Compiles Elastic EQL rules into Rust token streams for `eql_rule!` (eql-macro). The work is
//! split like logos-codegen: [`source`] reads the rule file (and is the only code that does),
//! `lower` turns the AST into a small IR (per stage a predicate tree over field ids with
//! matcher leaves), `codegen` turns the IR into tokens and `plan` describes it for `explain`.
//! [`compile`] is pure, so the generated code is tested with insta snapshots, without rustc.
//!
//! # The two forms of `eql_rule!`
//!
//! ```text
//! let rule = eql_rule!("rules/imds.eql");            // an expression: a value implementing Rule
//! eql_rule!(pub struct Imds = "rules/imds.eql");     // an item: a unit struct implementing Rule
//! ```
//!
//! Paths are relative to the `Cargo.toml` of the crate that invokes the macro.
//!
//! # What the expansion contains
//!
//! An `include_bytes!` of the rule file (so cargo rebuilds when it changes), one `FieldId`
//! constant per field read (the timestamp is 0, the category field 1, then the fields of the
//! conditions and join keys, sorted), a `match`-based `lookup`, the matchers as `static`s,
//! one `stage_N` function per stage condition, the `RuleMeta` and `Shape` statics and the
//! `Rule` impl. Everything is reached through `::eql_runtime::__private`.

#![deny(missing_docs)]

mod codegen;
pub mod ecs;
pub mod ir;
pub mod literals;
mod lower;
mod plan;
pub mod source;

/// Test support: the lowering step on its own, so tests can check the IR (and evaluate it with
/// the runtime's matchers) without running rustc on generated code. Not a public API.
#[doc(hidden)]
pub mod __test {
    pub use crate::ecs::FieldType;
    pub use crate::ir::{
        FieldInfo, FieldIx, Matcher, MatcherKind, NumLit, Pred, Rule, SExpr, Script, SeqStage,
        Shape, Stage, Test,
    };

    /// Parses and lowers a bare query (metadata defaults: `@timestamp`, `event.category`), as
    /// [`crate::compile`] would before generating code, unknown-field check included (a
    /// leading metadata comment may opt out). Errors are the rendered diagnostics.
    pub fn lower_text(query: &str) -> Result<Rule, String> {
        let file = crate::load_rule("query.eql", query)
            .map_err(|d| crate::render(&d, "query.eql", query))?;
        let ast = eql_syntax::parse(&file.query)
            .map_err(|d| crate::render(&d, "query.eql", &file.query))?;
        let unknown = file.check_fields(&ast, None);
        if !unknown.is_empty() {
            return Err(crate::render(&unknown, "query.eql", query));
        }
        crate::lower::lower(&ast, &file.meta, None)
            .map_err(|d| crate::render(&d, "query.eql", &file.query))
    }

    /// [`lower_text`] with field types from an index mapping.
    pub fn lower_text_with(
        query: &str,
        types: &eql_syntax::mapping::FieldTypes,
    ) -> Result<Rule, String> {
        let file = crate::load_rule("query.eql", query)
            .map_err(|d| crate::render(&d, "query.eql", query))?;
        let ast = eql_syntax::parse(&file.query)
            .map_err(|d| crate::render(&d, "query.eql", &file.query))?;
        let unknown = file.check_fields(&ast, Some(types));
        if !unknown.is_empty() {
            return Err(crate::render(&unknown, "query.eql", query));
        }
        crate::lower::lower(&ast, &file.meta, Some(types))
            .map_err(|d| crate::render(&d, "query.eql", &file.query))
    }
}

use eql_syntax::mapping::FieldTypes;
use eql_syntax::rulefile::{self, RuleFile};
use eql_syntax::Diagnostic;
use proc_macro2::{Ident, TokenStream};
use quote::{quote, quote_spanned};
use syn::parse::{Parse, ParseStream};

/// Compiles a loaded rule file into an expression whose value implements
/// `eql_runtime::rule::Rule`.
///
/// `source_path` is the path as the user wrote it (it ends up in `RuleMeta::source`).
/// Diagnostics carry byte spans into the *file* (the query's spans shifted by
/// `file.query_offset`). No file is read and no include is emitted: [`expand_file`] adds that.
pub fn compile(file: &RuleFile, source_path: &str) -> Result<TokenStream, Vec<Diagnostic>> {
    compile_with(file, source_path, None)
}

/// [`compile`], with field types from an index mapping instead of Elastic Defend's ECS types.
pub fn compile_with(
    file: &RuleFile,
    source_path: &str,
    types: Option<&FieldTypes>,
) -> Result<TokenStream, Vec<Diagnostic>> {
    let ty = Ident::new("__EqlRule", proc_macro2::Span::call_site());
    let items = compile_items(file, source_path, &ty, types)?;
    Ok(quote! {{
        #[doc = "The compiled rule."]
        #[derive(Clone, Copy, Debug)]
        struct __EqlRule;
        #items
        __EqlRule
    }})
}

/// Like [`compile_with`], but declares `vis struct name;` implementing `Rule` (the item form).
pub fn compile_item(
    file: &RuleFile,
    source_path: &str,
    vis: &syn::Visibility,
    name: &Ident,
    types: Option<&FieldTypes>,
) -> Result<TokenStream, Vec<Diagnostic>> {
    let items = compile_items(file, source_path, name, types)?;
    let doc = format!(" Compiled from `{source_path}`: {}.", file.meta.name);
    Ok(quote! {
        #[doc = #doc]
        #[derive(Clone, Copy, Debug, Default)]
        #vis struct #name;
        const _: () = {
            #items
        };
    })
}

fn compile_items(
    file: &RuleFile,
    source_path: &str,
    ty: &Ident,
    types: Option<&FieldTypes>,
) -> Result<TokenStream, Vec<Diagnostic>> {
    let lowered = lower_file(file, types)?;
    let text = codegen::MetaText {
        query: &file.query,
        source: source_path,
        canonical: &lowered.canonical,
        plan: &lowered.plan,
    };
    Ok(codegen::items(&lowered.ir, &file.meta, &text, ty, None))
}

/// A rule file's query, checked and lowered: what either back end (this crate's codegen, or
/// the IR evaluator that runs rules loaded at run time) starts from.
#[derive(Debug)]
pub struct Lowered {
    /// The IR.
    pub ir: ir::Rule,
    /// The query printed fully parenthesised.
    pub canonical: String,
    /// The fields read and the matcher chosen for each pattern list, for `explain`.
    pub plan: String,
}

/// Parses a loaded rule file's query, checks the fields it reads against `types` (else the
/// rule's fields in force: ECS and Elastic Defend), and lowers it. Diagnostics carry byte spans
/// into the *file* (the query's spans shifted by `file.query_offset`).
pub fn lower_file(file: &RuleFile, types: Option<&FieldTypes>) -> Result<Lowered, Vec<Diagnostic>> {
    let by = u32::try_from(file.query_offset).unwrap_or(u32::MAX);
    let shift = |ds: Vec<Diagnostic>| ds.into_iter().map(|d| d.offset(by)).collect::<Vec<_>>();
    let query = eql_syntax::parse(&file.query).map_err(shift)?;
    let unknown = file.check_fields(&query, types);
    if !unknown.is_empty() {
        return Err(unknown);
    }
    let ir = lower::lower(&query, &file.meta, types).map_err(shift)?;
    Ok(Lowered {
        plan: plan::plan(&ir),
        canonical: eql_syntax::to_canonical(&query),
        ir,
    })
}

/// Loads a rule file's text and compiles it: [`rulefile::load`] then [`compile`].
pub fn compile_text(path: &str, text: &str) -> Result<TokenStream, Vec<Diagnostic>> {
    let file = load_rule(path, text)?;
    compile(&file, path)
}

fn load_rule(path: &str, text: &str) -> Result<RuleFile, Vec<Diagnostic>> {
    rulefile::load(path, text).map_err(|errs| {
        errs.iter()
            .map(rulefile::LoadError::to_diagnostic)
            .collect()
    })
}

/// The field types of a rule's own `mapping` (relative to the rule file `rel`), read through
/// [`source::load`] (so relative to the calling crate) and tracked; `Ok(None)` when the rule
/// names none. Errors point at the `mapping` value in the rule file.
fn rule_mapping(
    file: &RuleFile,
    rel: &str,
    dir: Option<&str>,
    span: proc_macro2::Span,
    includes: &mut Vec<TokenStream>,
) -> Result<Option<FieldTypes>, Vec<Diagnostic>> {
    let Some(mrel) = file.mapping_path(rel) else {
        return Ok(None);
    };
    let at = file
        .meta_spans
        .iter()
        .find(|(k, _, _)| k == "mapping")
        .map_or(eql_syntax::Span::new(0, 0), |(_, _, s)| *s);
    let src = source::load(&mrel, dir).map_err(|e| {
        includes.push(track(e.abs.as_deref(), span));
        vec![Diagnostic::error(format!("mapping: {}", e.message), at)]
    })?;
    includes.push(track(Some(&src.abs), span));
    FieldTypes::from_mapping(&src.text)
        .map(Some)
        .map_err(|e| vec![Diagnostic::error(format!("mapping `{mrel}`: {e}"), at)])
}

/// Renders diagnostics for `compile_error!`: each one starts with `path:line:col: message`,
/// followed by the source line and a caret, rustc-style.
pub fn render(diags: &[Diagnostic], path: &str, text: &str) -> String {
    let mut out = String::new();
    for (i, d) in diags.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&render_one(d, path, text));
    }
    out
}

fn render_one(d: &Diagnostic, path: &str, text: &str) -> String {
    let full = eql_syntax::render(std::slice::from_ref(d), path, text);
    // eql_syntax puts the location on the `-->` line; rustc already prints `error: `, so the
    // location goes first and the rest follows.
    let location = full
        .lines()
        .find_map(|l| l.trim_start().strip_prefix("--> "))
        .unwrap_or(path)
        .to_owned();
    let body: Vec<&str> = full.lines().skip(1).collect();
    format!("{location}: {}\n{}", d.message, body.join("\n"))
}

/// The arguments of `eql_rule!`: a path, or `vis struct Name = path`; then optionally
/// `, mapping = "index.mapping"` (an Elasticsearch index mapping for the field types).
struct Input {
    item: Option<(Vec<syn::Attribute>, syn::Visibility, Ident)>,
    path: syn::LitStr,
    mapping: Option<syn::LitStr>,
}

impl Parse for Input {
    fn parse(input: ParseStream<'_>) -> syn::Result<Input> {
        let (item, path) = if input.peek(syn::LitStr) {
            (None, input.parse()?)
        } else {
            let attrs = input.call(syn::Attribute::parse_outer)?;
            let vis = input.parse()?;
            input.parse::<syn::Token![struct]>()?;
            let name = input.parse()?;
            input.parse::<syn::Token![=]>()?;
            (Some((attrs, vis, name)), input.parse()?)
        };
        let mapping = parse_mapping(input)?;
        if !input.is_empty() {
            return Err(input.error(if item.is_some() {
                "expected `vis struct Name = \"path.eql\"` and optionally `, mapping = \"…\"`"
            } else {
                "expected a rule file path and optionally `, mapping = \"…\"`"
            }));
        }
        Ok(Input {
            item,
            path,
            mapping,
        })
    }
}

/// The whole macro: `eql_rule!("path")` or `eql_rule!(vis struct Name = "path")`, each with an
/// optional `mapping = "…"`. Always returns tokens; errors become `compile_error!`s.
pub fn expand(input: TokenStream) -> TokenStream {
    let input = match syn::parse2::<Input>(input) {
        Ok(input) => input,
        Err(e) => return e.to_compile_error(),
    };
    let dir = std::env::var("CARGO_MANIFEST_DIR").ok();
    let rel = input.path.value();
    let span = input.path.span();
    let mut includes = Vec::new();
    let types = match &input.mapping {
        None => Ok(None),
        Some(m) => {
            let mrel = m.value();
            match source::load(&mrel, dir.as_deref()) {
                Err(e) => {
                    includes.push(track(e.abs.as_deref(), m.span()));
                    Err((vec![format!("mapping: {}", e.message)], m.span()))
                }
                Ok(src) => {
                    includes.push(track(Some(&src.abs), m.span()));
                    FieldTypes::from_mapping(&src.text)
                        .map(Some)
                        .map_err(|e| (vec![format!("mapping `{mrel}`: {e}")], m.span()))
                }
            }
        }
    };
    let out = match source::load(&rel, dir.as_deref()) {
        Err(e) => {
            includes.push(track(e.abs.as_deref(), span));
            Err((vec![e.message], span))
        }
        Ok(src) => {
            includes.push(track(Some(&src.abs), span));
            types.and_then(|types| {
                load_rule(&rel, &src.text)
                    .and_then(|f| {
                        // The invocation's mapping describes the data searched: it wins over
                        // the rule's own.
                        let own = match &types {
                            Some(_) => None,
                            None => rule_mapping(&f, &rel, dir.as_deref(), span, &mut includes)?,
                        };
                        let types = types.as_ref().or(own.as_ref());
                        match &input.item {
                            None => compile_with(&f, &rel, types),
                            Some((_, vis, name)) => compile_item(&f, &rel, vis, name, types),
                        }
                    })
                    .map_err(|d| (rendered(&d, &rel, &src.text), span))
            })
        }
    };
    match (&input.item, out) {
        (None, Ok(ts)) => quote! {{
            #(#includes)*
            #ts
        }},
        (None, Err((msgs, span))) => {
            // Every error but the last is a statement; the last is the block's value. A failed
            // `compile_error!` in expression position has the error type, which unifies with
            // anything and adds no errors of its own — unlike `unreachable!()` (type `!`), which
            // made the caller's next statement an `unreachable statement` warning.
            let (last, init) = msgs
                .split_last()
                .map_or((None, &[][..]), |(l, i)| (Some(l), i));
            let init = init
                .iter()
                .map(|m| quote_spanned!(span=> ::core::compile_error!(#m);));
            let last = last.map(|m| quote_spanned!(span=> ::core::compile_error!(#m)));
            quote_spanned! {span=> {
                #(#includes)*
                #(#init)*
                #last
            }}
        }
        (Some((attrs, _, _)), Ok(ts)) => quote! {
            #(#attrs)*
            #ts
            #(#includes)*
        },
        (Some((attrs, vis, name)), Err((msgs, span))) => {
            let errs = msgs
                .iter()
                .map(|m| quote_spanned!(span=> ::core::compile_error!{#m}));
            // Declaring the struct keeps its uses from adding errors of their own.
            // Item position: `compile_error! { … }` takes no `;`.
            quote! {
                #(#attrs)*
                #vis struct #name;
                #(#includes)*
                #(#errs)*
            }
        }
    }
}

/// `eql_rule!("path")`: reads the file relative to the calling crate's `CARGO_MANIFEST_DIR`,
/// compiles it, and returns the expression. Never panics: on error it returns
/// `{ compile_error!(…); compile_error!(…) }` (one per error; the block has the error type, so
/// the call site still type-checks and adds neither errors nor warnings) together with the
/// `include_bytes!` that makes cargo rebuild once the file is fixed.
pub fn expand_file(lit: &syn::LitStr) -> TokenStream {
    expand(quote!(#lit))
}

fn rendered(diags: &[Diagnostic], rel: &str, text: &str) -> Vec<String> {
    diags
        .iter()
        .map(|d| render(std::slice::from_ref(d), rel, text))
        .collect()
}

/// `const _: &[u8] = include_bytes!(abs);`: puts the file in cargo's dep-info.
fn track(abs: Option<&str>, span: proc_macro2::Span) -> TokenStream {
    match abs {
        Some(abs) => quote_spanned!(span=> const _: &[u8] = ::core::include_bytes!(#abs);),
        None => TokenStream::new(),
    }
}

/// One rule file of a set, loaded.
pub struct SetFile {
    /// The path as shown (relative to the calling crate), for `RuleMeta::source`.
    pub path: String,
    /// The loaded rule.
    pub file: RuleFile,
    /// The field types of the rule's own `mapping` (used when the set has no mapping).
    pub types: Option<FieldTypes>,
}

/// Compiles several rule files into one rule set: the items of a module whose `rules()`
/// returns them in order, sharing one schema (the union of the fields they read), so that the
/// detector decodes each event once for all of them. `types` (the set's mapping) applies to
/// every file; without it, a file's own [`SetFile::types`], else Elastic Defend's ECS types.
/// Errors are per file index.
pub fn compile_set(
    files: &[SetFile],
    types: Option<&FieldTypes>,
) -> Result<TokenStream, Vec<(usize, Vec<Diagnostic>)>> {
    let mut lowered = Vec::with_capacity(files.len());
    let mut errors = Vec::new();
    for (i, f) in files.iter().enumerate() {
        match lower_file(&f.file, types.or(f.types.as_ref())) {
            Ok(x) => lowered.push(x),
            Err(d) => errors.push((i, d)),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    // The union of the fields, sorted by path; ids are positions in it.
    let mut by_path: std::collections::BTreeMap<&str, &ir::FieldInfo> = Default::default();
    for l in &lowered {
        for f in &l.ir.fields {
            by_path.entry(f.path.as_str()).or_insert(f);
        }
    }
    let mut used = std::collections::BTreeSet::new();
    let union: Vec<ir::FieldInfo> = by_path
        .values()
        .map(|f| ir::FieldInfo {
            const_name: lower::unique(&mut used, lower::const_name(&f.path)),
            ..(*f).clone()
        })
        .collect();
    let id_of = |path: &str| {
        union
            .iter()
            .position(|f| f.path == path)
            .and_then(|i| u16::try_from(i).ok())
            .unwrap_or(u16::MAX)
    };
    // The schema's own timestamp is the first rule's; each rule reports its own as well.
    let timestamp = lowered
        .first()
        .and_then(|l| l.ir.fields.first())
        .map_or(0, |f| usize::from(id_of(&f.path)));
    let mut modules = std::collections::BTreeSet::new();
    let members: Vec<codegen::SetMember> = files
        .iter()
        .zip(&lowered)
        .map(|(f, l)| {
            let ir = &l.ir;
            let ids: Vec<u16> = ir.fields.iter().map(|x| id_of(&x.path)).collect();
            let text = codegen::MetaText {
                query: &f.file.query,
                source: &f.path,
                canonical: &l.canonical,
                plan: &l.plan,
            };
            let ty = Ident::new("Rule", proc_macro2::Span::call_site());
            let module = lower::unique(&mut modules, module_name(&f.path));
            codegen::SetMember {
                module: Ident::new(&module, proc_macro2::Span::call_site()),
                source: f.path.clone(),
                name: f.file.meta.name.clone(),
                items: codegen::items(ir, &f.file.meta, &text, &ty, Some(&ids)),
            }
        })
        .collect();
    Ok(codegen::set(&union, timestamp, &members))
}

/// A module name for a rule file: its stem in snake case (`imds.eql` → `imds`).
fn module_name(path: &str) -> String {
    let stem = path.rsplit(['/', '\\']).next().unwrap_or(path);
    let stem = stem.rsplit_once('.').map_or(stem, |(s, _)| s);
    let mut name: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        name.insert_str(0, "rule_");
    }
    name
}

/// The optional `, mapping = "index.mapping"` (and a trailing comma) after a macro's path.
fn parse_mapping(input: ParseStream<'_>) -> syn::Result<Option<syn::LitStr>> {
    if !input.peek(syn::Token![,]) {
        return Ok(None);
    }
    input.parse::<syn::Token![,]>()?;
    if input.is_empty() {
        return Ok(None);
    }
    let key: Ident = input.parse()?;
    if key != "mapping" {
        return Err(syn::Error::new(key.span(), "expected `mapping = \"…\"`"));
    }
    input.parse::<syn::Token![=]>()?;
    let mapping = input.parse()?;
    let _ = input.parse::<Option<syn::Token![,]>>()?;
    Ok(Some(mapping))
}

/// The arguments of `eql_rules!`: a directory, or `vis mod name = directory`; then optionally
/// `, mapping = "index.mapping"`.
struct SetInput {
    item: Option<(Vec<syn::Attribute>, syn::Visibility, Ident)>,
    dir: syn::LitStr,
    mapping: Option<syn::LitStr>,
}

impl Parse for SetInput {
    fn parse(input: ParseStream<'_>) -> syn::Result<SetInput> {
        let (item, dir) = if input.peek(syn::LitStr) {
            (None, input.parse()?)
        } else {
            let attrs = input.call(syn::Attribute::parse_outer)?;
            let vis = input.parse()?;
            input.parse::<syn::Token![mod]>()?;
            let name = input.parse()?;
            input.parse::<syn::Token![=]>()?;
            (Some((attrs, vis, name)), input.parse()?)
        };
        let mapping = parse_mapping(input)?;
        if !input.is_empty() {
            return Err(input.error(
                "expected a rules directory (or `vis mod name = \"dir\"`) and optionally `, mapping = \"…\"`",
            ));
        }
        Ok(SetInput { item, dir, mapping })
    }
}

/// The whole `eql_rules!` macro: every `.eql` and EQL `.toml` rule file under a directory
/// (recursively, in path order) compiled into one rule set.
///
/// - `eql_rules!("rules/elastic")` is an expression of type `Vec<Box<dyn Rule>>`.
/// - `eql_rules!(pub mod linux = "rules/elastic")` declares a module with `rules()`, `COUNT`
///   and one submodule per rule.
///
/// Every file is tracked with `include_bytes!`, so cargo rebuilds when one changes. Cargo has
/// no stable way for a macro to watch a directory, so a file added or removed is noticed only
/// through a build script line, `cargo:rerun-if-changed=<dir>` (see the README).
pub fn expand_set(input: TokenStream) -> TokenStream {
    let input = match syn::parse2::<SetInput>(input) {
        Ok(input) => input,
        Err(e) => return e.to_compile_error(),
    };
    let manifest = std::env::var("CARGO_MANIFEST_DIR").ok();
    let span = input.dir.span();
    let mut includes = Vec::new();
    let mut errors: Vec<String> = Vec::new();
    let types = match &input.mapping {
        None => None,
        Some(m) => match source::load(&m.value(), manifest.as_deref()) {
            Err(e) => {
                includes.push(track(e.abs.as_deref(), m.span()));
                errors.push(format!("mapping: {}", e.message));
                None
            }
            Ok(src) => {
                includes.push(track(Some(&src.abs), m.span()));
                match FieldTypes::from_mapping(&src.text) {
                    Ok(t) => Some(t),
                    Err(e) => {
                        errors.push(format!("mapping `{}`: {e}", m.value()));
                        None
                    }
                }
            }
        },
    };
    let mut files = Vec::new();
    let mut texts = Vec::new();
    match source::list(&input.dir.value(), manifest.as_deref()) {
        Err(e) => errors.push(e.message),
        Ok(paths) => {
            for rel in paths {
                match source::load(&rel, manifest.as_deref()) {
                    Err(e) => {
                        includes.push(track(e.abs.as_deref(), span));
                        errors.push(e.message);
                    }
                    Ok(src) => {
                        includes.push(track(Some(&src.abs), span));
                        if !rulefile::is_eql_rule(&rel, &src.text) {
                            continue;
                        }
                        let loaded = load_rule(&rel, &src.text).and_then(|file| {
                            let own = match &input.mapping {
                                Some(_) => None,
                                None => rule_mapping(
                                    &file,
                                    &rel,
                                    manifest.as_deref(),
                                    span,
                                    &mut includes,
                                )?,
                            };
                            Ok((file, own))
                        });
                        match loaded {
                            Ok((file, types)) => {
                                files.push(SetFile {
                                    path: rel,
                                    file,
                                    types,
                                });
                                texts.push(src.text);
                            }
                            Err(d) => errors.extend(rendered(&d, &rel, &src.text)),
                        }
                    }
                }
            }
        }
    }
    let body = if errors.is_empty() {
        match compile_set(&files, types.as_ref()) {
            Ok(ts) => Some(ts),
            Err(per_file) => {
                for (i, d) in per_file {
                    errors.extend(rendered(&d, &files[i].path, &texts[i]));
                }
                None
            }
        }
    } else {
        None
    };
    let errs = errors
        .iter()
        .map(|m| quote_spanned!(span=> ::core::compile_error!{#m}));
    let p = quote!(::eql_runtime::__private);
    // On error the module still declares `rules()` and `COUNT`, so uses add no errors.
    let body = body.unwrap_or_else(|| {
        quote! {
            #(#errs)*
            /// How many rules the set holds.
            pub const COUNT: usize = 0;
            /// Every rule of the set.
            pub fn rules() -> ::std::vec::Vec<::std::boxed::Box<dyn #p::Rule>> {
                ::std::vec::Vec::new()
            }
        }
    });
    let doc = format!(
        " The rules under `{}`, compiled together.",
        input.dir.value()
    );
    match &input.item {
        None => quote! {{
            #[doc = #doc]
            #[allow(dead_code)]
            mod __eql_rules {
                #(#includes)*
                #body
            }
            __eql_rules::rules()
        }},
        Some((attrs, vis, name)) => quote! {
            #[doc = #doc]
            #(#attrs)*
            #vis mod #name {
                #(#includes)*
                #body
            }
        },
    }
}
