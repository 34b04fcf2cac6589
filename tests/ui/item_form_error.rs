eql_macro::eql_rule!(pub struct Broken = "tests/ui/rules/bad_ip.eql");

fn main() {
    let _ = Broken;
}
