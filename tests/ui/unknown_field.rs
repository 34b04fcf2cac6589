// The error points at the field in the rule file, with a did-you-mean; the statement after the
// macro gets no `unreachable statement` warning.
fn main() {
    let _rule = eql_macro::eql_rule!("tests/ui/rules/unknown_field.eql");
    let after = 1;
    let _ = after;
}
