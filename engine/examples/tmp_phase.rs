use std::time::Instant;
fn main() {
    let p = std::env::args().nth(1).unwrap();
    let mode = std::env::args().nth(2).unwrap_or_default();
    let t = Instant::now();
    let text = std::fs::read_to_string(&p).unwrap();
    if mode == "parse" {
        let v = flowtoy::config::parse_yaml(&text).unwrap();
        eprintln!("parse {:?}", t.elapsed());
        std::mem::forget(v);
        return;
    }
    let d = flowtoy::config::Draft::load(&[&p]).unwrap();
    eprintln!("load {:?}", t.elapsed());
    if mode == "load" {
        std::mem::forget(d);
        return;
    }
    let t = Instant::now();
    let c = d.validate(None).unwrap();
    eprintln!("validate {:?} {}", t.elapsed(), c.flow.len());
    std::mem::forget(c);
}
