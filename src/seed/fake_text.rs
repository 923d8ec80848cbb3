//! Fake text for text columns: names, emails, addresses, companies, lorem words and
//! sentences, drawn from the `fake` crate with a cell's own random stream, and made distinct by
//! the row index when the column is unique.
//!
//! Pure: a function of the kind, the counts and the random stream; never talks to a database.

use super::rng::CellRng;
use fake::Fake;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FakeKind {
    Name,
    FirstName,
    LastName,
    Email,
    Phone,
    Street,
    City,
    Country,
    CountryCode,
    Company,
    Username,
    Url,
    Word,
    Words,
    Sentence,
    Sentences,
    Paragraph,
    Paragraphs,
    UserAgent,
}

/// Appends the row index to a fake value so that it is distinct (before the `@` of an email).
pub(super) fn make_unique(kind: FakeKind, s: String, row: u64, max_chars: Option<usize>) -> String {
    let full = match kind {
        FakeKind::Email => match s.split_once('@') {
            Some((local, domain)) => format!("{local}.{row}@{domain}"),
            None => format!("{s}.{row}"),
        },
        FakeKind::Url => format!("{s}/{row}"),
        FakeKind::Username => format!("{s}{row}"),
        _ => format!("{s} {row}"),
    };
    match max_chars {
        Some(n) if full.chars().count() > n => {
            // Keep the suffix: cut the fake part so that the row number still fits.
            let suffix = format!("-{row}");
            let keep = n.saturating_sub(suffix.len());
            format!("{}{suffix}", super::values::truncate_chars(&s, keep))
        }
        _ => full,
    }
}

fn range(count: [usize; 2]) -> std::ops::Range<usize> {
    count[0]..count[1].max(count[0]) + 1
}

pub(super) fn fake_text(kind: FakeKind, count: [usize; 2], rng: &mut CellRng) -> String {
    use fake::faker::address::en::{
        BuildingNumber, CityName, CountryCode, CountryName, StreetName, StreetSuffix,
    };
    use fake::faker::company::en::CompanyName;
    use fake::faker::internet::en::{DomainSuffix, SafeEmail, UserAgent, Username};
    use fake::faker::lorem::en::{Paragraph, Paragraphs, Sentence, Sentences, Word, Words};
    use fake::faker::name::en::{FirstName, LastName, Name};
    use fake::faker::phone_number::en::PhoneNumber;
    match kind {
        FakeKind::Name => Name().fake_with_rng(rng),
        FakeKind::FirstName => FirstName().fake_with_rng(rng),
        FakeKind::LastName => LastName().fake_with_rng(rng),
        FakeKind::Email => SafeEmail().fake_with_rng(rng),
        FakeKind::Phone => PhoneNumber().fake_with_rng(rng),
        FakeKind::Street => {
            let n: String = BuildingNumber().fake_with_rng(rng);
            let s: String = StreetName().fake_with_rng(rng);
            let suffix: String = StreetSuffix().fake_with_rng(rng);
            format!("{n} {s} {suffix}")
        }
        FakeKind::City => CityName().fake_with_rng(rng),
        FakeKind::Country => CountryName().fake_with_rng(rng),
        FakeKind::CountryCode => CountryCode().fake_with_rng(rng),
        FakeKind::Company => CompanyName().fake_with_rng(rng),
        FakeKind::Username => Username().fake_with_rng(rng),
        FakeKind::Url => {
            let host: String = Word().fake_with_rng(rng);
            let path: String = Word().fake_with_rng(rng);
            let suffix: String = DomainSuffix().fake_with_rng(rng);
            format!("https://www.{host}.{suffix}/{path}")
        }
        FakeKind::Word => Word().fake_with_rng(rng),
        FakeKind::UserAgent => UserAgent().fake_with_rng(rng),
        FakeKind::Words => {
            let w: Vec<String> = Words(range(count)).fake_with_rng(rng);
            w.join(" ")
        }
        FakeKind::Sentence => Sentence(range(count)).fake_with_rng(rng),
        FakeKind::Sentences => {
            let s: Vec<String> = Sentences(range(count)).fake_with_rng(rng);
            s.join(" ")
        }
        FakeKind::Paragraph => Paragraph(range(count)).fake_with_rng(rng),
        FakeKind::Paragraphs => {
            let p: Vec<String> = Paragraphs(range(count)).fake_with_rng(rng);
            p.join("\n\n")
        }
    }
}
