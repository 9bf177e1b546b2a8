#[path = "../tests/common/mod.rs"]
mod common;
use paygate_pdf_worker::render;
fn main() {
    let mut d = common::sample_invoice();
    let line = d.lines[0].clone();
    d.lines = (0..95).map(|_| { let mut l = line.clone(); l.description = "lorem ipsum dolor ".repeat(111); l }).collect();
    let t = std::time::Instant::now();
    let pdf = render(&d).unwrap();
    println!("descriptions: {} bytes in {:?}", pdf.len(), t.elapsed());
    std::fs::write("/tmp/worst1.pdf", &pdf).unwrap();
    d.lines = (0..320).map(|_| { let mut l = line.clone(); let f = "9".repeat(100); l.quantity = f.clone(); l.unit_price=f.clone(); l.tax_rate=f.clone(); l.net=f.clone(); l.tax=f.clone(); l.gross=f.clone(); l.description = "x".into(); l }).collect();
    let t = std::time::Instant::now();
    let pdf = render(&d).unwrap();
    println!("figures: {} bytes in {:?}", pdf.len(), t.elapsed());
    std::fs::write("/tmp/worst2.pdf", &pdf).unwrap();
}
