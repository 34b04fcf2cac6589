// A TOML error is reported once (its `expected …` line not repeated).
fn main() {
    let _rule = eql_macro::eql_rule!("tests/ui/rules/toml_syntax.eql");
}
