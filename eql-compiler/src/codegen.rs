//! IR → tokens: the schema, the matchers as `static`s, one function per stage condition, the
//! metadata and shape, and the `Rule` impl.

use std::collections::BTreeSet;
use std::net::IpAddr;

use eql_syntax::ast::CmpOp;
use eql_syntax::rulefile::{MitreRef, RuleMetadata};
use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::{format_ident, quote};

use crate::ecs::FieldType;
use crate::ir::{FieldInfo, MatcherKind, NumLit, Pred, Rule, SExpr, Shape, Test};

/// Text the generated `RuleMeta` carries besides the metadata.
pub struct MetaText<'a> {
    /// The query as written.
    pub query: &'a str,
    /// The rule file path as written in the macro.
    pub source: &'a str,
    /// The fully parenthesised query.
    pub canonical: &'a str,
    /// The `explain` plan.
    pub plan: &'a str,
}

/// The items implementing `Rule` for the unit struct `ty` (declared by the caller).
///
/// `shared`: for a rule compiled into a set ([`set`]), the id of each of the rule's fields in
/// the set's schema, which is `super::__SCHEMA`; otherwise the rule gets a schema of its own.
pub fn items(
    rule: &Rule,
    meta: &RuleMetadata,
    text: &MetaText<'_>,
    ty: &Ident,
    shared: Option<&[u16]>,
) -> TokenStream {
    let p = quote!(::eql_runtime::__private);
    let fields = field_consts(rule, &p, shared);
    let ts = field_ident(rule, 0);
    let (schema_items, schema_ref, timestamp_fn) = match shared {
        None => (
            schema(&rule.fields, |i| field_ident(rule, i), 0, &p),
            quote!(__SCHEMA),
            None,
        ),
        Some(_) => (
            TokenStream::new(),
            quote!(super::__SCHEMA),
            Some(quote! {
                fn timestamp_field(&self) -> #p::FieldId {
                    #ts
                }
            }),
        ),
    };
    let categories = categories(rule, &p);
    let matchers = rule.matchers.iter().map(|m| matcher_static(m, &p));
    let stage_fns = rule.stages.iter().enumerate().map(|(i, st)| {
        let name = stage_ident(i);
        let doc = format!(" `{}`", st.canonical);
        let cat = st.category.as_ref().map(|c| {
            let f = field_ident(rule, rule.category_field);
            quote!(__ev.any_text(#f, |__s| __s == #c))
        });
        let body = pred(rule, &st.pred, &p);
        let body = match cat {
            Some(cat) if matches!(st.pred, Pred::True) => cat,
            // The category test applies to the whole condition, `or` branches included.
            Some(cat) => {
                let body = paren(body, Prec::And);
                quote!(#cat && #body)
            }
            None => body.0,
        };
        quote! {
            #[doc = #doc]
            fn #name(__ev: &#p::Event<'_>) -> bool {
                #body
            }
        }
    });
    let script_fns = rule.scripts.iter().enumerate().map(|(i, sc)| {
        let name = script_ident(i);
        let doc = format!(
            " `{}`: a script, run for every combination of its fields' values",
            sc.canonical
        );
        let fields = sc.fields.iter().map(|&f| {
            let id = field_ident(rule, f);
            let kind = kind_tokens(rule, f);
            quote!((#id, Kind::#kind))
        });
        let body = sexpr(rule, &sc.expr);
        quote! {
            #[doc = #doc]
            fn #name(__ev: &#p::Event<'_>) -> bool {
                use #p::script::*;
                any(__ev, &[#(#fields),*], |__v| #body)
            }
        }
    });
    let consts = rule.consts.iter().enumerate().map(|(i, c)| {
        let name = const_ident(i);
        let body = sexpr(rule, c);
        quote! {
            /// A computed constant, evaluated once.
            static #name: #p::LazyLock<#p::script::Val> = #p::LazyLock::new(|| {
                use #p::script::*;
                #body
            });
        }
    });
    let pipes = (!rule.pipes.is_empty()).then(|| {
        let pipes = rule.pipes.iter().map(|&(head, n)| {
            let kind = if head { quote!(Head) } else { quote!(Tail) };
            let n = Literal::u64_unsuffixed(n);
            quote!(#p::Pipe { kind: #p::PipeKind::#kind, count: #n })
        });
        quote! {
            fn pipes(&self) -> &'static [#p::Pipe] {
                &[#(#pipes),*]
            }
        }
    });
    let key_value = date_keys(rule, &p);
    let tiebreaker = rule.tiebreaker.map(|f| {
        let f = field_ident(rule, f);
        quote! {
            fn tiebreaker(&self, __ev: &#p::Event<'_>) -> ::core::option::Option<i64> {
                #p::tiebreaker(__ev, #f)
            }
        }
    });
    let meta_static = rule_meta(meta, text, &p);
    let (shape, eval) = shape(rule, &p);
    let prefilter = crate::literals::requirement(rule).map(|terms| {
        let terms = terms.iter().map(|term| {
            let groups = term.iter().map(|g| {
                let lits = g.lits.iter().map(|l| {
                    let text = &l.text;
                    match (&l.key, l.value) {
                        (Some(key), true) => quote!(Lit::value(#text).under(#key)),
                        (None, true) => quote!(Lit::value(#text)),
                        _ => quote!(Lit::text(#text)),
                    }
                });
                quote!(&[#(#lits),*])
            });
            quote!(&[#(#groups),*])
        });
        quote! {
            /// What the raw line of every event some stage can match contains: any term, each
            /// needing one literal of every group (the prefilter).
            fn prefilter(&self) -> ::core::option::Option<#p::prefilter::Requirement> {
                use #p::prefilter::Lit;
                const TERMS: #p::prefilter::Requirement = &[#(#terms),*];
                ::core::option::Option::Some(TERMS)
            }
        }
    });
    quote! {
        #(#fields)*
        #schema_items
        #(#matchers)*
        #(#consts)*
        #(#script_fns)*
        #(#stage_fns)*
        #meta_static
        static __SHAPE: #p::Shape = #shape;
        impl #p::Rule for #ty {
            fn meta(&self) -> &'static #p::RuleMeta {
                &__META
            }
            fn schema(&self) -> &'static #p::Schema {
                &#schema_ref
            }
            fn shape(&self) -> &'static #p::Shape {
                &__SHAPE
            }
            fn eval(&self, __ev: &#p::Event<'_>) -> u64 {
                #eval
            }
            #prefilter
            #pipes
            #tiebreaker
            #key_value
            #timestamp_fn
            #categories
        }
    }
}

/// The lookup function and the `__SCHEMA` static over these fields.
fn schema(
    fields: &[FieldInfo],
    ident: impl Fn(usize) -> Ident,
    timestamp: usize,
    p: &TokenStream,
) -> TokenStream {
    let lookup = lookup_fn(fields, &ident, p);
    let paths = fields.iter().map(|f| f.path.as_str());
    let ts = ident(timestamp);
    let nulls = fields.iter().enumerate().filter_map(|(i, f)| {
        let text = f.null_value.as_deref()?;
        let id = ident(i);
        Some(quote!((#id, #text)))
    });
    quote! {
        #lookup
        static __SCHEMA: #p::Schema = #p::Schema {
            fields: &[#(#paths),*],
            lookup: &__lookup,
            timestamp: #ts,
            null_values: &[#(#nulls),*],
        };
    }
}

/// `categories`: the categories the rule's conditions test, when every one tests one.
fn categories(rule: &Rule, p: &TokenStream) -> Option<TokenStream> {
    let mut cats: Vec<&str> = Vec::new();
    for st in &rule.stages {
        cats.push(st.category.as_deref()?);
    }
    cats.sort_unstable();
    cats.dedup();
    let f = field_ident(rule, rule.category_field);
    Some(quote! {
        fn categories(
            &self,
        ) -> ::core::option::Option<(#p::FieldId, &'static [&'static str])> {
            ::core::option::Option::Some((#f, &[#(#cats),*]))
        }
    })
}

/// One rule of a set: its items in a module of its own, whose `Rule` struct the set lists.
pub struct SetMember {
    /// The module's name.
    pub module: Ident,
    /// The rule file, for the module's doc comment.
    pub source: String,
    /// The rule's name.
    pub name: String,
    /// [`items`] for the unit struct `Rule`, with a shared schema.
    pub items: TokenStream,
}

/// A rule set (`eql_rules!`): one schema, the union of the rules' fields, decoded once per
/// event for all of them, then one module per rule. The caller wraps the result in a module,
/// whose `rules()` returns the rules in order.
pub fn set(fields: &[FieldInfo], timestamp: usize, members: &[SetMember]) -> TokenStream {
    let p = quote!(::eql_runtime::__private);
    let ident = |i: usize| Ident::new(&fields[i].const_name, Span::call_site());
    let consts = fields.iter().enumerate().map(|(i, f)| {
        let name = ident(i);
        let id = Literal::u16_unsuffixed(u16::try_from(i).unwrap_or(u16::MAX));
        let doc = format!(" `{}`", f.path);
        quote! {
            #[doc = #doc]
            const #name: #p::FieldId = #id;
        }
    });
    let schema = schema(fields, ident, timestamp, &p);
    let modules = members.iter().map(|m| {
        let (module, items) = (&m.module, &m.items);
        let doc = format!(" `{}`: {}", m.source, m.name);
        quote! {
            #[doc = #doc]
            pub mod #module {
                /// The compiled rule.
                #[derive(Clone, Copy, Debug, Default)]
                pub struct Rule;
                #items
            }
        }
    });
    let boxed = members.iter().map(|m| {
        let module = &m.module;
        quote!(::std::boxed::Box::new(#module::Rule))
    });
    let count = Literal::usize_unsuffixed(members.len());
    quote! {
        #(#consts)*
        #schema
        #(#modules)*
        /// How many rules the set holds.
        pub const COUNT: usize = #count;
        /// Every rule of the set, in file order.
        pub fn rules() -> ::std::vec::Vec<::std::boxed::Box<dyn #p::Rule>> {
            ::std::vec![#(#boxed),*]
        }
    }
}

/// `key_value` for the join-key fields of type `date`: Elasticsearch reports (and matches) their
/// instants, whatever format each document writes them in.
fn date_keys(rule: &Rule, p: &TokenStream) -> Option<TokenStream> {
    let Shape::Sequence {
        stages,
        until,
        sample,
        ..
    } = &rule.shape
    else {
        return None;
    };
    let mut fields: Vec<usize> = stages
        .iter()
        .chain(until)
        .flat_map(|s| s.keys.iter().map(|k| k.0))
        .filter(|&f| rule.fields.get(f).is_some_and(|x| x.ty == FieldType::Date))
        .collect();
    fields.sort_unstable();
    fields.dedup();
    if fields.is_empty() {
        return None;
    }
    let arms = fields.iter().map(|&f| {
        let id = field_ident(rule, f);
        let formats = rule.fields.get(f).map_or(&[][..], |x| &x.date_formats[..]);
        quote!(#id => #p::time::date_key(__text, &[#(#formats),*], #sample),)
    });
    Some(quote! {
        fn key_value(
            &self,
            __field: #p::FieldId,
            __text: &str,
        ) -> ::core::option::Option<::std::string::String> {
            match __field {
                #(#arms)*
                _ => ::core::option::Option::None,
            }
        }
    })
}

fn script_ident(i: usize) -> Ident {
    format_ident!("script_{}", i)
}

fn const_ident(i: usize) -> Ident {
    format_ident!("CONST_{}", i)
}

/// The `script::Kind` a field's values enter scripts as.
fn kind_tokens(rule: &Rule, f: usize) -> TokenStream {
    match rule.fields.get(f).map(|x| x.ty) {
        Some(FieldType::Keyword) => quote!(Keyword),
        Some(FieldType::Number) => quote!(Number),
        Some(FieldType::Ip) => quote!(Ip),
        Some(FieldType::Date) => quote!(Date),
        _ => quote!(Dynamic),
    }
}

fn script_cmp_op(op: CmpOp) -> TokenStream {
    match op {
        CmpOp::Eq => quote!(Eq),
        CmpOp::Ne => quote!(Ne),
        CmpOp::Lt => quote!(Lt),
        CmpOp::Le => quote!(Le),
        CmpOp::Gt => quote!(Gt),
        CmpOp::Ge => quote!(Ge),
    }
}

/// A script expression over `__v` (the values of the script's fields) with the functions of
/// `eql_runtime::script` in scope.
fn sexpr(rule: &Rule, e: &SExpr) -> TokenStream {
    let list = |xs: &[SExpr]| {
        let xs = xs.iter().map(|x| sexpr(rule, x));
        quote!(&[#(#xs),*])
    };
    match e {
        SExpr::Null => quote!(Val::Null),
        SExpr::Bool(b) => quote!(Val::Bool(#b)),
        SExpr::Int(i) => {
            let i = Literal::i64_unsuffixed(*i);
            quote!(Val::Int(#i))
        }
        SExpr::Float(f) => {
            let f = Literal::f64_unsuffixed(if f.is_finite() { *f } else { 0.0 });
            quote!(Val::Float(#f))
        }
        SExpr::Str(s) => quote!(Val::str(#s)),
        SExpr::Field(i) => {
            let i = Literal::usize_unsuffixed(*i);
            quote!(__v[#i].clone())
        }
        SExpr::Not(x) => {
            let x = sexpr(rule, x);
            quote!(not(#x))
        }
        SExpr::And(xs) => {
            let xs = list(xs);
            quote!(and(#xs))
        }
        SExpr::Or(xs) => {
            let xs = list(xs);
            quote!(or(#xs))
        }
        SExpr::Cmp(op, a, b) => {
            let op = script_cmp_op(*op);
            let (a, b) = (sexpr(rule, a), sexpr(rule, b));
            quote!(cmp(CmpOp::#op, &#a, &#b))
        }
        SExpr::NullTest(x, is_null) => {
            let x = sexpr(rule, x);
            quote!(null_test(&#x, #is_null))
        }
        SExpr::Arith(op, a, b) => {
            let op = format_ident!("{op:?}");
            let (a, b) = (sexpr(rule, a), sexpr(rule, b));
            quote!(arith(ArithOp::#op, &#a, &#b))
        }
        SExpr::Neg(x) => {
            let x = sexpr(rule, x);
            quote!(neg(&#x))
        }
        SExpr::Call(f, ci, args) => {
            let f = format_ident!("{f:?}");
            let args = list(args);
            quote!(call(Func::#f, #ci, #args))
        }
        SExpr::Like(x, pats, ci) => {
            let x = sexpr(rule, x);
            quote!(text_test(&#x, |__t| #(like(#pats, __t, #ci))||*))
        }
        SExpr::Regex(x, ids) => {
            let x = sexpr(rule, x);
            let names = ids
                .iter()
                .filter_map(|&i| rule.matchers.get(i))
                .map(|m| Ident::new(&m.name, Span::call_site()));
            quote!(text_test(&#x, |__t| false #(|| #names.as_ref().is_some_and(|__r| __r.is_match(__t)))*))
        }
        SExpr::In(x, items, ci) => {
            let x = sexpr(rule, x);
            let items = list(items);
            quote!(in_list(&#x, #items, #ci))
        }
    }
}

fn field_ident(rule: &Rule, ix: usize) -> Ident {
    let name = rule
        .fields
        .get(ix)
        .map_or("TIMESTAMP", |f| f.const_name.as_str());
    Ident::new(name, Span::call_site())
}

fn stage_ident(i: usize) -> Ident {
    format_ident!("stage_{}", i)
}

fn field_consts(rule: &Rule, p: &TokenStream, shared: Option<&[u16]>) -> Vec<TokenStream> {
    rule.fields
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let name = Ident::new(&f.const_name, Span::call_site());
            let id = match shared {
                Some(ids) => ids.get(i).copied().unwrap_or(u16::MAX),
                None => u16::try_from(i).unwrap_or(u16::MAX),
            };
            let id = Literal::u16_unsuffixed(id);
            let doc = format!(" `{}` ({})", f.path, f.ty.as_str());
            quote! {
                #[doc = #doc]
                const #name: #p::FieldId = #id;
            }
        })
        .collect()
}

/// `match path { b"a.b" => Field(A_B), b"a" => Prefix, _ => Miss }`, in sorted path order.
fn lookup_fn(fields: &[FieldInfo], ident: impl Fn(usize) -> Ident, p: &TokenStream) -> TokenStream {
    let names: BTreeSet<&str> = fields.iter().map(|f| f.path.as_str()).collect();
    let mut prefixes = BTreeSet::new();
    for f in &names {
        for (i, _) in f.match_indices('.') {
            prefixes.insert(&f[..i]);
        }
    }
    let mut sorted: Vec<(usize, &str)> = fields
        .iter()
        .enumerate()
        .map(|(i, f)| (i, f.path.as_str()))
        .collect();
    sorted.sort_by_key(|(_, path)| *path);
    sorted.dedup_by_key(|(_, path)| *path);
    // (path, arm) for every read field and every prefix that is only a prefix.
    let mut arms: Vec<(&str, TokenStream)> = sorted
        .iter()
        .map(|(i, path)| {
            let lit = Literal::byte_string(path.as_bytes());
            let id = ident(*i);
            let null_value = fields.get(*i).and_then(|f| f.null_value.as_deref());
            let arm = match null_value {
                _ if prefixes.contains(path) => quote!(#lit => #p::Lookup::FieldAndPrefix(#id),),
                Some(_) => quote!(#lit => #p::Lookup::FieldNull(#id),),
                None => quote!(#lit => #p::Lookup::Field(#id),),
            };
            (*path, arm)
        })
        .collect();
    let only_prefixes: Vec<&str> = prefixes
        .iter()
        .copied()
        .filter(|x| !names.contains(*x))
        .collect();
    let body = if arms.len() + only_prefixes.len() <= 16 {
        let only: Vec<Literal> = only_prefixes
            .iter()
            .map(|x| Literal::byte_string(x.as_bytes()))
            .collect();
        let prefix_arm = (!only.is_empty()).then(|| quote!(#(#only)|* => #p::Lookup::Prefix,));
        let arms = arms.iter().map(|(_, a)| a);
        quote! {
            match __path {
                #(#arms)*
                #prefix_arm
                _ => #p::Lookup::Miss,
            }
        }
    } else {
        // Many paths (a rule set): match the length first, so that a path is compared with
        // the few paths of its length rather than with all of them in turn.
        for x in &only_prefixes {
            let lit = Literal::byte_string(x.as_bytes());
            arms.push((x, quote!(#lit => #p::Lookup::Prefix,)));
        }
        arms.sort_by_key(|(path, _)| (path.len(), *path));
        let mut by_len: Vec<(usize, Vec<TokenStream>)> = Vec::new();
        for (path, arm) in arms {
            match by_len.last_mut() {
                Some((n, v)) if *n == path.len() => v.push(arm),
                _ => by_len.push((path.len(), vec![arm])),
            }
        }
        let groups = by_len.into_iter().map(|(n, arms)| {
            let n = Literal::usize_unsuffixed(n);
            quote! {
                #n => match __path {
                    #(#arms)*
                    _ => #p::Lookup::Miss,
                },
            }
        });
        quote! {
            match __path.len() {
                #(#groups)*
                _ => #p::Lookup::Miss,
            }
        }
    };
    quote! {
        /// Classifies a dotted path met while walking a document.
        fn __lookup(__path: &[u8]) -> #p::Lookup {
            #body
        }
    }
}

fn matcher_static(m: &crate::ir::Matcher, p: &TokenStream) -> TokenStream {
    let name = Ident::new(&m.name, Span::call_site());
    let pats = &m.pats;
    let ci = m.ci;
    let doc = format!(
        " {}{}",
        match m.kind {
            MatcherKind::Exact => "Whole values",
            MatcherKind::Prefix => "Prefixes",
            MatcherKind::Suffix => "Suffixes",
            MatcherKind::Contains => "Substrings",
            MatcherKind::Glob => "Wildcard pattern",
            MatcherKind::Regex => "Regular expression (Lucene syntax)",
            MatcherKind::Cidr => "CIDR blocks",
        },
        if m.kind == MatcherKind::Cidr {
            ""
        } else if ci {
            ", case-insensitive"
        } else {
            ", case-sensitive"
        }
    );
    let first = pats.first().map_or("", String::as_str);
    match m.kind {
        MatcherKind::Exact => {
            // Sorted (and, for ASCII case-insensitive sets, lower-cased): the runtime then
            // binary-searches a long set instead of scanning it.
            let mut pats: Vec<String> = if ci && pats.iter().all(|p| p.is_ascii()) {
                pats.iter().map(|p| p.to_ascii_lowercase()).collect()
            } else {
                pats.clone()
            };
            pats.sort_unstable();
            pats.dedup();
            quote! {
                #[doc = #doc]
                static #name: #p::Exact = #p::Exact::new(&[#(#pats),*], #ci);
            }
        }
        MatcherKind::Prefix => quote! {
            #[doc = #doc]
            static #name: #p::Prefix = #p::Prefix::new(&[#(#pats),*], #ci);
        },
        MatcherKind::Suffix => quote! {
            #[doc = #doc]
            static #name: #p::Suffix = #p::Suffix::new(&[#(#pats),*], #ci);
        },
        MatcherKind::Glob => quote! {
            #[doc = #doc]
            static #name: #p::Glob = #p::Glob::new(#first, #ci);
        },
        MatcherKind::Contains => quote! {
            #[doc = #doc]
            static #name: #p::LazyLock<#p::Contains> =
                #p::LazyLock::new(|| #p::Contains::new(&[#(#pats),*], #ci));
        },
        MatcherKind::Regex => quote! {
            #[doc = #doc]
            #[doc = " An invalid pattern matches nothing."]
            static #name: #p::LazyLock<::core::option::Option<#p::Regex>> =
                #p::LazyLock::new(|| #p::Regex::new(#first, #ci).ok());
        },
        MatcherKind::Cidr => quote! {
            #[doc = #doc]
            #[doc = " (validated when the rule was compiled)."]
            static #name: #p::LazyLock<::std::vec::Vec<#p::ip::Cidr>> = #p::LazyLock::new(|| {
                [#(#pats),*].into_iter().filter_map(#p::ip::Cidr::parse).collect()
            });
        },
    }
}

/// Tokens for a predicate, and whether they are atomic (need no parentheses under `!`/`&&`).
fn pred(rule: &Rule, pr: &Pred, p: &TokenStream) -> (TokenStream, Prec) {
    match pr {
        Pred::True => (quote!(true), Prec::Atom),
        Pred::False => (quote!(false), Prec::Atom),
        Pred::Has(f) => {
            let f = field_ident(rule, *f);
            (quote!(__ev.has(#f)), Prec::Atom)
        }
        Pred::Not(inner) => {
            let inner = paren(pred(rule, inner, p), Prec::Atom);
            (quote!(!#inner), Prec::Atom)
        }
        Pred::And(xs) => {
            let xs = xs.iter().map(|x| paren(pred(rule, x, p), Prec::And));
            (quote!(#(#xs)&&*), Prec::And)
        }
        Pred::Or(xs) => {
            // `&&` inside `||` is parenthesised anyway: it reads like the EQL.
            let xs = xs.iter().map(|x| paren(pred(rule, x, p), Prec::Atom));
            (quote!(#(#xs)||*), Prec::Or)
        }
        Pred::Any { field, test, .. } => {
            let f = field_ident(rule, *field);
            let t = test_tokens(rule, test, p).0;
            (quote!(__ev.any_text(#f, |__s| #t)), Prec::Atom)
        }
        Pred::Script(i) => {
            let name = script_ident(*i);
            (quote!(#name(__ev)), Prec::Atom)
        }
        Pred::Dynamic {
            field,
            op,
            text,
            num: n,
            boolean,
        } => {
            let f = field_ident(rule, *field);
            let none = quote!(::core::option::Option::None);
            let text = match text {
                Some(t) => quote!(::core::option::Option::Some(#t)),
                None => none.clone(),
            };
            let n = match n {
                Some(x) => {
                    let x = num(*x, p);
                    quote!(::core::option::Option::Some(#x))
                }
                None => none.clone(),
            };
            let boolean = match boolean {
                Some(b) => quote!(::core::option::Option::Some(#b)),
                None => none,
            };
            let ord = ordering(*op);
            (
                quote!(__ev.any_value(#f, |__v| ::core::matches!(
                    #p::value::dynamic_order(__v, #text, #n, #boolean),
                    #ord
                ))),
                Prec::Atom,
            )
        }
        Pred::ConstCmp { field, op, konst } => {
            let (f, kind) = (field_ident(rule, *field), kind_tokens(rule, *field));
            let (op, c) = (script_cmp_op(*op), const_ident(*konst));
            (
                quote!(#p::script::query_cmp(
                    __ev,
                    #f,
                    #p::script::Kind::#kind,
                    #p::script::CmpOp::#op,
                    &#c
                )),
                Prec::Atom,
            )
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Prec {
    Or,
    And,
    Atom,
}

/// Parenthesises `e` if it binds looser than `need`.
fn paren((e, prec): (TokenStream, Prec), need: Prec) -> TokenStream {
    if prec < need {
        quote!((#e))
    } else {
        e
    }
}

fn test_tokens(rule: &Rule, t: &Test, p: &TokenStream) -> (TokenStream, Prec) {
    match t {
        Test::Matchers(ids) if ids.is_empty() => (quote!(false), Prec::Atom),
        Test::Matchers(ids) => {
            let calls = ids.iter().filter_map(|&i| rule.matchers.get(i)).map(|m| {
                let name = Ident::new(&m.name, Span::call_site());
                match m.kind {
                    MatcherKind::Regex => {
                        quote!(#name.as_ref().is_some_and(|__r| __r.is_match(__s)))
                    }
                    MatcherKind::Cidr => quote!(#p::ip::cidr_match(__s, &#name)),
                    _ => quote!(#name.is_match(__s)),
                }
            });
            let prec = if ids.len() > 1 { Prec::Or } else { Prec::Atom };
            (quote!(#(#calls)||*), prec)
        }
        Test::Eq(s) => (quote!(__s == #s), Prec::And),
        Test::TextCmp(op, s) => {
            let op = cmp_op(*op);
            (quote!(__s #op #s), Prec::And)
        }
        Test::NumCmp(op, n) => {
            // A value that is not a number never compares (Elasticsearch coerces at index time).
            let n = num(*n, p);
            let ord = ordering(*op);
            (
                quote!(::core::matches!(
                    #p::parse_num(__s).and_then(|__n| #p::cmp_num(__n, #n)),
                    #ord
                )),
                Prec::Atom,
            )
        }
        Test::IpCmp(CmpOp::Eq, ip) => {
            let ip = ip_tokens(*ip, p);
            (quote!(#p::ip::eq(__s, &#ip)), Prec::Atom)
        }
        Test::IpCmp(op, ip) => {
            let ip = ip_tokens(*ip, p);
            let ord = ordering(*op);
            (
                quote!(::core::matches!(#p::ip::cmp(__s, &#ip), #ord)),
                Prec::Atom,
            )
        }
        Test::DateCmp(op, text) => {
            let ord = ordering(*op);
            (
                quote!(::core::matches!(#p::time::cmp_text(__s, #text), #ord)),
                Prec::Atom,
            )
        }
        Test::VersionCmp(op, text) => {
            let ord = ordering(*op);
            (
                quote!(::core::matches!(
                    ::core::option::Option::Some(#p::cmp_version(__s, #text)),
                    #ord
                )),
                Prec::Atom,
            )
        }
        Test::Length(op, n) => {
            let op = cmp_op(*op);
            let n = Literal::usize_unsuffixed(usize::try_from(*n).unwrap_or(usize::MAX));
            // Java's `String.length()` counts UTF-16 code units.
            (quote!(__s.encode_utf16().count() #op #n), Prec::And)
        }
        Test::Not(inner) => {
            let inner = paren(test_tokens(rule, inner, p), Prec::Atom);
            (quote!(!#inner), Prec::Atom)
        }
    }
}

fn cmp_op(op: CmpOp) -> TokenStream {
    match op {
        CmpOp::Eq => quote!(==),
        CmpOp::Ne => quote!(!=),
        CmpOp::Lt => quote!(<),
        CmpOp::Le => quote!(<=),
        CmpOp::Gt => quote!(>),
        CmpOp::Ge => quote!(>=),
    }
}

/// The `Option<Ordering>` pattern that satisfies `op`.
fn ordering(op: CmpOp) -> TokenStream {
    let o = quote!(::core::cmp::Ordering);
    match op {
        CmpOp::Eq => quote!(::core::option::Option::Some(#o::Equal)),
        CmpOp::Ne => quote!(::core::option::Option::Some(#o::Less | #o::Greater)),
        CmpOp::Lt => quote!(::core::option::Option::Some(#o::Less)),
        CmpOp::Le => quote!(::core::option::Option::Some(#o::Less | #o::Equal)),
        CmpOp::Gt => quote!(::core::option::Option::Some(#o::Greater)),
        CmpOp::Ge => quote!(::core::option::Option::Some(#o::Greater | #o::Equal)),
    }
}

fn num(n: NumLit, p: &TokenStream) -> TokenStream {
    match n {
        NumLit::Int(i) => {
            let lit = Literal::i64_unsuffixed(i);
            quote!(#p::Num::Int(#lit))
        }
        NumLit::Float(f) => {
            // Lowering only keeps finite floats.
            let lit = Literal::f64_unsuffixed(if f.is_finite() { f } else { 0.0 });
            quote!(#p::Num::Float(#lit))
        }
    }
}

fn ip_tokens(ip: IpAddr, p: &TokenStream) -> TokenStream {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets().map(Literal::u8_unsuffixed);
            quote!(#p::IpAddr::V4(#p::Ipv4Addr::new(#(#o),*)))
        }
        IpAddr::V6(v6) => {
            let s = v6.segments().map(Literal::u16_unsuffixed);
            quote!(#p::IpAddr::V6(#p::Ipv6Addr::new(#(#s),*)))
        }
    }
}

fn mitre(r: &MitreRef, p: &TokenStream) -> TokenStream {
    let (id, name, reference) = (&r.id, &r.name, &r.reference);
    quote!(#p::MitreRef { id: #id, name: #name, reference: #reference })
}

fn rule_meta(m: &RuleMetadata, text: &MetaText<'_>, p: &TokenStream) -> TokenStream {
    let threat = m.threat.iter().map(|t| {
        let framework = &t.framework;
        let tactic = mitre(&t.tactic, p);
        let techniques = t.techniques.iter().map(|tq| {
            let technique = mitre(&tq.technique, p);
            let subs = tq.subtechniques.iter().map(|s| mitre(s, p));
            quote!(#p::Technique { technique: #technique, subtechniques: &[#(#subs),*] })
        });
        quote!(#p::Threat { framework: #framework, tactic: #tactic, techniques: &[#(#techniques),*] })
    });
    let (name, rule_id, description, severity) = (&m.name, &m.rule_id, &m.description, &m.severity);
    let risk_score = Literal::u32_unsuffixed(m.risk_score);
    let version = Literal::u32_unsuffixed(m.version);
    let max_signals = Literal::u32_unsuffixed(m.max_signals);
    let (tags, index, author, references) = (&m.tags, &m.index, &m.author, &m.references);
    let (interval, from, license) = (&m.interval, &m.from, &m.license);
    let (category_field, timestamp_field) = (&m.event_category_field, &m.timestamp_field);
    let timestamp_override = match &m.timestamp_override {
        Some(f) => quote!(::core::option::Option::Some(#f)),
        None => quote!(::core::option::Option::None),
    };
    let (query, source, canonical, plan) = (text.query, text.source, text.canonical, text.plan);
    quote! {
        static __META: #p::RuleMeta = #p::RuleMeta {
            name: #name,
            rule_id: #rule_id,
            description: #description,
            severity: #severity,
            risk_score: #risk_score,
            version: #version,
            tags: &[#(#tags),*],
            index: &[#(#index),*],
            event_category_field: #category_field,
            timestamp_field: #timestamp_field,
            timestamp_override: #timestamp_override,
            interval: #interval,
            from: #from,
            max_signals: #max_signals,
            author: &[#(#author),*],
            license: #license,
            references: &[#(#references),*],
            threat: &[#(#threat),*],
            query: #query,
            source: #source,
            canonical: #canonical,
            plan: #plan,
        };
    }
}

/// The `Shape` value and the body of `eval`.
fn shape(rule: &Rule, p: &TokenStream) -> (TokenStream, TokenStream) {
    match &rule.shape {
        Shape::Event => {
            let f = stage_ident(0);
            (
                quote!(#p::Shape::Event),
                quote!(::core::primitive::u64::from(#f(__ev))),
            )
        }
        Shape::Sequence {
            maxspan_nanos,
            stages,
            until,
            sample,
        } => {
            let spec = |keys: &[(usize, bool)], missing: bool| {
                let keys = keys.iter().map(|(f, optional)| {
                    let f = field_ident(rule, *f);
                    quote!(#p::KeyField { field: #f, optional: #optional })
                });
                quote!(#p::StageSpec { keys: &[#(#keys),*], missing: #missing })
            };
            let specs = stages.iter().map(|s| spec(&s.keys, s.missing));
            let until_spec = match until {
                Some(u) => {
                    let s = spec(&u.keys, u.missing);
                    quote!(::core::option::Option::Some(#s))
                }
                None => quote!(::core::option::Option::None),
            };
            let maxspan = match maxspan_nanos {
                Some(n) => {
                    let n = Literal::u64_unsuffixed(*n);
                    quote!(::core::option::Option::Some(#n))
                }
                None => quote!(::core::option::Option::None),
            };
            // One test per distinct condition; `runs` copies share its bits.
            let mut tests = Vec::new();
            for cond in 0..rule.stages.len() {
                let mask: u64 = stages
                    .iter()
                    .enumerate()
                    .filter(|(_, s)| s.cond == cond)
                    .fold(0, |m, (i, _)| m | (1u64 << (i % 64)));
                let f = stage_ident(cond);
                if mask != 0 {
                    // Binary, so the stage positions can be read off.
                    let mask = format!("0b{mask:b}")
                        .parse::<Literal>()
                        .unwrap_or_else(|_| Literal::u64_unsuffixed(mask));
                    tests.push(quote! {
                        if #f(__ev) {
                            __bits |= #mask;
                        }
                    });
                } else if until.as_ref().is_some_and(|u| u.cond == cond) {
                    tests.push(quote! {
                        if #f(__ev) {
                            __bits |= #p::UNTIL_BIT;
                        }
                    });
                }
            }
            (
                quote! {
                    #p::Shape::Sequence(#p::SeqSpec {
                        maxspan_nanos: #maxspan,
                        stages: &[#(#specs),*],
                        until: #until_spec,
                        sample: #sample,
                    })
                },
                quote! {
                    let mut __bits = 0u64;
                    #(#tests)*
                    __bits
                },
            )
        }
    }
}
