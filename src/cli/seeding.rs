//! The seeded behaviour of a reference server, as `run`, `replay` and `serve` take it:
//! `--fault` (deliberate non-conformances) and `--variant` (legal variants of the server's
//! choices, `all` for every one), and the lists `serve --list-faults` and
//! `serve --list-variants` print.

use std::net::SocketAddr;

use clap::Args;

use crate::server::{Fault, Faults, RunningServer, ServerConfig, Variant, Variants, start};

/// `--fault` and `--variant`.
#[derive(Debug, Clone, Default, Args)]
pub struct SeedingArgs {
    /// Seed a deliberate non-conformance into the reference server (repeatable; `gws-conform
    /// serve --list-faults` lists them). `run` and `replay` take it for the embedded server only.
    #[arg(long = "fault", value_name = "NAME", value_parser = Fault::parse_arg)]
    pub faults: Vec<Fault>,
    /// Switch on a legal variant of the reference server's behaviour, one the documents allow
    /// but the server does not do by default (repeatable; `all` for every one; `gws-conform
    /// serve --list-variants` lists them). `run` and `replay` take it for the embedded server
    /// only.
    #[arg(long = "variant", value_name = "NAME", value_parser = parse_variants)]
    pub variants: Vec<Variants>,
}

/// One `--variant` value: a variant's name, or `all`.
fn parse_variants(name: &str) -> Result<Variants, String> {
    if name == "all" {
        return Ok(Variants::all());
    }
    Variant::parse_arg(name).map(Variants::from)
}

/// What a reference server is seeded with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Seeded {
    /// Deliberate non-conformances.
    pub faults: Faults,
    /// Legal variants.
    pub variants: Variants,
}

impl SeedingArgs {
    /// The sets asked for.
    pub fn seeded(&self) -> Seeded {
        Seeded {
            faults: self.faults.iter().copied().collect(),
            variants: self
                .variants
                .iter()
                .fold(Variants::NONE, |all, v| v.iter().fold(all, Variants::with)),
        }
    }

    /// Refuses seeding with a `target`: faults and variants change the embedded server only.
    pub fn refuse_with_target(&self, target: &str) -> Result<(), String> {
        let seeded = self.seeded();
        let flag = match (seeded.faults.is_empty(), seeded.variants.is_empty()) {
            (true, true) => return Ok(()),
            (false, _) => "--fault",
            (true, false) => "--variant",
        };
        Err(format!(
            "{flag} changes the embedded reference server; it cannot be used with a target ({target})"
        ))
    }

    /// The sets asked for, announced on stderr (`run` and `replay`, unless only listing).
    pub fn announced(&self, list: bool) -> Seeded {
        let seeded = self.seeded();
        if !list && !seeded.faults.is_empty() {
            eprintln!(
                "note: the embedded reference server runs with seeded faults: {}",
                seeded.faults
            );
        }
        if !list && !seeded.variants.is_empty() {
            eprintln!(
                "note: the embedded reference server runs with legal variants: {}",
                seeded.variants
            );
        }
        seeded
    }
}

impl Seeded {
    /// `config` with these faults and variants.
    pub fn apply(self, config: ServerConfig) -> ServerConfig {
        ServerConfig {
            faults: self.faults,
            variants: self.variants,
            ..config
        }
    }

    /// Starts an embedded reference server on a free loopback port.
    pub async fn start_embedded(self) -> Result<RunningServer, String> {
        start(
            self.apply(ServerConfig::default()),
            SocketAddr::from(([127, 0, 0, 1], 0)),
        )
        .await
        .map_err(|e| format!("cannot start the embedded reference server: {e}"))
    }
}

/// Prints `rows` (name, then the other columns) as aligned columns, then `footer`.
fn table(rows: &[[&str; 3]], footer: &str) -> String {
    let width = |column: usize| rows.iter().map(|r| r[column].len()).max().unwrap_or(0);
    let (first, second) = (width(0), width(1));
    let mut text = String::new();
    for [name, middle, description] in rows {
        text.push_str(&format!("{name:first$}  {middle:second$}  {description}\n"));
    }
    text.push_str(footer);
    text
}

/// The fault catalogue as `serve --list-faults` prints it: one line per fault.
pub fn fault_list() -> String {
    let descriptions: Vec<String> = Fault::ALL
        .iter()
        .map(|f| {
            let tier = if f.strict_only() { " (strict)" } else { "" };
            format!("{}{tier}", f.description())
        })
        .collect();
    let rows: Vec<[&str; 3]> = Fault::ALL
        .iter()
        .zip(&descriptions)
        .map(|(f, d)| [f.name(), f.requirement(), d.as_str()])
        .collect();
    table(
        &rows,
        &format!(
            "{} faults. (strict): only a --strict run must fail on that requirement.\n",
            Fault::ALL.len()
        ),
    )
}

/// The variant catalogue as `serve --list-variants` prints it: one line per variant, with the
/// choice of docs/rulings.md it exercises.
pub fn variant_list() -> String {
    let anchors: Vec<String> = Variant::ALL
        .iter()
        .map(|v| format!("#{}", v.choice()))
        .collect();
    let rows: Vec<[&str; 3]> = Variant::ALL
        .iter()
        .zip(&anchors)
        .map(|(v, a)| [v.name(), a.as_str(), v.description()])
        .collect();
    table(
        &rows,
        &format!(
            "{} variants, each a choice of docs/rulings.md (\"Choices the documents leave open\"); `--variant all` switches on every one.\n",
            Variant::ALL.len()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        seeding: SeedingArgs,
    }

    #[test]
    fn variants_accumulate_and_all_means_every_one() {
        let cli = Cli::parse_from([
            "x",
            "--variant",
            "own-chat-ids",
            "--variant",
            "keys-reversed",
        ]);
        let seeded = cli.seeding.seeded();
        assert_eq!(seeded.variants.to_string(), "own-chat-ids, keys-reversed");
        let cli = Cli::parse_from(["x", "--variant", "all", "--fault", "index-as-string"]);
        let seeded = cli.seeding.seeded();
        assert_eq!(seeded.variants, Variants::all());
        assert_eq!(seeded.faults.to_string(), "index-as-string");
        let error = Cli::try_parse_from(["x", "--variant", "own-chat-id"]).unwrap_err();
        assert!(
            error.to_string().contains("did you mean `own-chat-ids`?"),
            "{error}"
        );
    }

    #[test]
    fn seeding_is_refused_with_a_target_naming_the_flag() {
        let target = "http://gws:8090";
        assert!(SeedingArgs::default().refuse_with_target(target).is_ok());
        let cli = Cli::parse_from(["x", "--variant", "all"]);
        let error = cli.seeding.refuse_with_target(target).unwrap_err();
        assert!(
            error.starts_with("--variant changes the embedded"),
            "{error}"
        );
        let cli = Cli::parse_from(["x", "--variant", "all", "--fault", "index-as-string"]);
        let error = cli.seeding.refuse_with_target(target).unwrap_err();
        assert!(error.starts_with("--fault changes the embedded"), "{error}");
    }

    #[test]
    fn the_lists_name_every_switch_once() {
        let faults = fault_list();
        assert_eq!(faults.lines().count(), Fault::ALL.len() + 1);
        let variants = variant_list();
        for variant in Variant::ALL {
            let line = variants
                .lines()
                .find(|l| l.starts_with(&format!("{} ", variant.name())))
                .unwrap_or_else(|| panic!("{variant} missing:\n{variants}"));
            assert!(line.contains(&format!("#{}", variant.choice())), "{line}");
        }
    }
}
