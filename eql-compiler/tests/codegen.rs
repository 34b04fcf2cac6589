//! Snapshots of the generated code (prettyplease-formatted) and of rendered compile errors.

use std::path::Path;

fn expand(path: &Path) -> String {
    let name = path
        .file_name()
        .map_or("rule.eql".into(), |n| n.to_string_lossy().into_owned());
    expand_as(path, &name)
}

fn expand_as(path: &Path, name: &str) -> String {
    let text = std::fs::read_to_string(path).expect("test rule");
    match eql_compiler::compile_text(name, &text) {
        Ok(ts) => {
            let file: syn::File = syn::parse_quote! {
                fn __expanded() {
                    let _ = #ts;
                }
            };
            prettyplease::unparse(&file)
        }
        Err(d) => format!("ERROR\n{}", eql_compiler::render(&d, name, &text)),
    }
}

#[test]
fn codegen() {
    insta::glob!("data/codegen/*.eql", |path| {
        let out = expand(path);
        assert!(!out.starts_with("ERROR"), "{out}");
        insta::assert_snapshot!(out);
    });
}

#[test]
fn imds() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../rules/imds.eql");
    let out = expand_as(&path, "rules/imds.eql");
    assert!(!out.starts_with("ERROR"), "{out}");
    // The category test covers all three `or` branches of stage 0 (§1.2).
    assert!(out
        .contains("__ev.any_text(EVENT_CATEGORY, |__s| __s == \"process\")\n                && ("));
    insta::assert_snapshot!(out);
}

#[test]
fn errors() {
    insta::glob!("data/errors/*.eql", |path| {
        let out = expand(path);
        assert!(out.starts_with("ERROR"), "{out}");
        insta::assert_snapshot!(out);
    });
}

#[test]
fn item_form_parses() {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../rules/imds.eql"))
            .expect("imds");
    let file = eql_syntax::rulefile::load("rules/imds.eql", &text).expect("loads");
    let vis: syn::Visibility = syn::parse_quote!(pub);
    let name: proc_macro2::Ident = syn::parse_quote!(Imds);
    let ts =
        eql_compiler::compile_item(&file, "rules/imds.eql", &vis, &name, None).expect("compiles");
    let file: syn::File = syn::parse2(ts).expect("items parse as a file");
    let out = prettyplease::unparse(&file);
    assert!(out.contains("pub struct Imds;"));
    assert!(out.contains("impl ::eql_runtime::__private::Rule for Imds"));
}

#[test]
fn expand_rejects_without_panicking() {
    // No CARGO_MANIFEST_DIR games: absolute paths are refused before any read.
    let lit: syn::LitStr = syn::parse_quote!("/etc/passwd");
    let out = eql_compiler::expand_file(&lit).to_string();
    assert!(out.contains("compile_error"), "{out}");
    // No `unreachable!()` after the error: it made the caller's next statement a warning.
    assert!(!out.contains("unreachable"), "{out}");
    let bad = eql_compiler::expand(quote::quote!(struct = 3)).to_string();
    assert!(bad.contains("compile_error"), "{bad}");
}

/// A rule set: one schema for both rules (the union of their fields, ids by path), a module per
/// rule whose field constants are ids in that schema, and `rules()` listing them.
#[test]
fn rule_set() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/set");
    let files: Vec<eql_compiler::SetFile> = ["curl.eql", "metadata_ip.toml"]
        .iter()
        .map(|name| {
            let path = format!("tests/data/set/{name}");
            let text = std::fs::read_to_string(dir.join(name)).expect("rule");
            let file = eql_syntax::rulefile::load(&path, &text).expect("loads");
            eql_compiler::SetFile {
                path,
                file,
                types: None,
            }
        })
        .collect();
    let ts = eql_compiler::compile_set(&files, None).expect("compiles");
    let file: syn::File = syn::parse2(ts).expect("items parse as a file");
    let out = prettyplease::unparse(&file);
    // Each rule reads `process.name` through the same id, and names its own category field.
    assert!(out.contains("const PROCESS_NAME: ::eql_runtime::__private::FieldId = 5;"));
    assert_eq!(out.matches("static __SCHEMA").count(), 1, "{out}");
    assert!(
        out.contains("Some((EVENT_TYPE, &[\"network\", \"process\"]))"),
        "{out}"
    );
    insta::assert_snapshot!(out);
}
