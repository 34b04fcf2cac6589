fn main() {
    let _rule = eql_macro::eql_rule!("tests/ui/rules/risk_score_range.toml");
}
