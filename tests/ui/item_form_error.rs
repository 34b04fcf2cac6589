eql_macro::eql_rule!(pub struct Sampled = "tests/ui/rules/sample.eql");

fn main() {
    let _ = Sampled;
}
