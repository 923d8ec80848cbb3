//! What the command line says about a scenario, applied in one place: each flag replaces the
//! scenario's value, and the combinations no run can honour (a `--url` beside another provider,
//! `--clone` without a server to copy from) are refused in one sentence before anything starts.
//!
//! A flag wins over the file everywhere: `--image postgres:17` over the file's `version = 15`,
//! `--pg-version 17` over the file's `image`, each said in a note. Only two flags that
//! contradict each other are refused.
//!
//! Pure: no file is read and nothing is connected to here; the binary resolves paths first.

use super::Scenario;
use crate::migrations::Format;
use crate::provision::clone::CloneMethod;
use crate::provision::ProviderChoice;
use crate::Error;
use std::path::PathBuf;

/// The `run` flags that change the scenario; None (or false) leaves the scenario's value.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub format: Option<Format>,
    pub provider: Option<ProviderChoice>,
    pub image: Option<String>,
    pub pg_version: Option<u32>,
    pub url: Option<String>,
    pub allow_non_disposable: bool,
    pub baseline: Option<String>,
    pub scale: Option<f64>,
    pub seed: Option<u64>,
    pub rows: Option<u64>,
    pub no_seed: bool,
    /// `--dataset`, already checked to be a file and made absolute.
    pub dataset: Option<PathBuf>,
    pub clone: Option<CloneMethod>,
    pub clone_jobs: Option<usize>,
    pub in_transaction: bool,
    /// `--data-dir`, made absolute.
    pub data_dir: Option<PathBuf>,
    /// `--predict`: rehearse at several seeded sizes and predict production's.
    pub predict: bool,
    /// `--template NAME=VALUE`, each over the file's `[migrations.template]`.
    pub template: Vec<String>,
}

impl Scenario {
    /// Applies the command line's `overrides`. Returns the notes to print: where a flag
    /// replaced something else the scenario file said.
    pub fn apply(&mut self, o: Overrides) -> Result<Vec<String>, Error> {
        let mut notes = Vec::new();
        if let Some(why) = o
            .pg_version
            .and_then(|v| super::bad_major(v, "--pg-version"))
        {
            return Err(Error::Input(why));
        }
        if let Some(why) = o
            .image
            .as_deref()
            .and_then(|i| super::bad_image(i, "--image"))
        {
            return Err(Error::Input(why));
        }
        if let Some(f) = o.format {
            self.format = Some(f);
        }
        if !o.template.is_empty() {
            let mut given = crate::migrations::TemplateValues::default();
            for assignment in &o.template {
                given.set(assignment).map_err(Error::Input)?;
            }
            self.template.overlay(&given);
        }
        if let Some(p) = o.provider {
            self.database.provider = p;
        }
        let file = self
            .file
            .as_ref()
            .map(|f| f.display().to_string())
            .unwrap_or_else(|| "the scenario".into());
        let tagged = |image: &str| crate::provision::docker::image_major(image);
        // The command line's image decides the version when the file's version says another.
        if let (Some(image), None, Some(major)) = (&o.image, o.pg_version, self.database.major) {
            if let Some(t) = tagged(image).filter(|t| *t != major) {
                notes.push(format!(
                    "--image {image} is PostgreSQL {t}; it overrides version = {major} in {file}"
                ));
                self.database.major = Some(t);
            }
        }
        // And the command line's version replaces the file's image of another version.
        if let (None, Some(major), Some(image)) = (&o.image, o.pg_version, &self.database.image) {
            if let Some(t) = tagged(image).filter(|t| *t != major) {
                notes.push(format!(
                    "--pg-version {major} overrides image = \"{image}\" (PostgreSQL {t}) in {file}; the image is postgres:{major}"
                ));
                self.database.image = None;
            }
        }
        if o.image.is_some() {
            self.database.image = o.image;
        }
        if o.pg_version.is_some() {
            self.database.major = o.pg_version;
        }
        let url_given = o.url.is_some();
        if o.url.is_some() {
            self.database.url = o.url;
        }
        if o.baseline.is_some() {
            self.baseline = o.baseline;
        }
        if let Some(s) = o.scale {
            if !(s >= 0.0 && s.is_finite()) {
                return Err(Error::Input(format!(
                    "--scale {s} must be a number of zero or more"
                )));
            }
        }
        if o.scale.is_some()
            || o.seed.is_some()
            || o.rows.is_some()
            || o.no_seed
            || o.dataset.is_some()
            || o.predict
        {
            let dataset = self.sections.dataset.get_or_insert_with(Default::default);
            if o.predict {
                dataset.predict = Some(true);
            }
            if let Some(file) = &o.dataset {
                dataset.generators = Some(file.display().to_string());
            }
            if o.scale.is_some() {
                dataset.scale = o.scale;
            }
            if o.seed.is_some() {
                dataset.seed = o.seed;
            }
            if o.rows.is_some() {
                dataset.default_rows = o.rows;
            }
            if o.no_seed {
                dataset.enabled = Some(false);
            }
        }
        // `--url` names the server to use: alone it means the url provider, whatever the
        // scenario says; beside another provider it would be silently ignored, so it is refused.
        match (url_given, o.provider) {
            (true, None) => self.database.provider = ProviderChoice::Url,
            (true, Some(p)) if p != ProviderChoice::Url => {
                return Err(Error::Input(format!(
                    "--url (or REHEARSE_URL) names a server for --provider url, but --provider {} was given: drop one of them",
                    format!("{p:?}").to_lowercase()
                )))
            }
            _ => {}
        }
        if self.database.url.is_some()
            && o.provider.is_none()
            && self.sections.database.provider.is_none()
        {
            self.database.provider = ProviderChoice::Url;
        }
        self.database.check_version()?;
        self.database.allow_non_disposable |= o.allow_non_disposable;
        if let Some(method) = o.clone {
            self.database.clone = Some(method);
            self.database.in_transaction = false;
        }
        if o.clone_jobs.is_some() {
            self.database.clone_jobs = o.clone_jobs;
        }
        if o.data_dir.is_some() {
            self.database.data_dir = o.data_dir;
        }
        if o.in_transaction {
            self.database.in_transaction = true;
            self.database.clone = None;
        }
        // Both work on the database of --url: with another provider they would be ignored.
        let staging = match (self.database.clone.is_some(), self.database.in_transaction) {
            (true, true) => {
                return Err(Error::Input(
                    "[database] clone and in_transaction cannot both be set: a clone is rehearsed on a copy, in_transaction on the database itself; choose one".into(),
                ))
            }
            (true, false) => Some("--clone (or [database] clone) copies the database of --url"),
            (false, true) => Some(
                "--in-transaction (or [database] in_transaction) runs on the database of --url",
            ),
            (false, false) => None,
        };
        if let Some(what) = staging {
            if self.database.provider != ProviderChoice::Url {
                return Err(Error::Input(format!(
                    "{what}: give --url postgresql://… (or [database] url), the database to use"
                )));
            }
        }
        Ok(notes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario(toml_text: &str) -> Scenario {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("migrations")).unwrap();
        std::fs::write(dir.path().join("rehearse.toml"), toml_text).unwrap();
        Scenario::load(dir.path()).unwrap()
    }

    const URL: &str = "postgresql://ci@localhost/app";

    #[test]
    fn a_url_alone_means_the_url_provider_and_beside_another_is_refused() {
        let mut s = scenario("[database]\nprovider = \"docker\"\n");
        s.apply(Overrides {
            url: Some(URL.into()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(s.database.provider, ProviderChoice::Url);
        let refused = scenario("")
            .apply(Overrides {
                url: Some(URL.into()),
                provider: Some(ProviderChoice::Local),
                ..Default::default()
            })
            .unwrap_err();
        assert!(
            refused.to_string().contains("--provider local was given"),
            "{refused}"
        );
    }

    #[test]
    fn the_command_line_image_wins_over_the_file_version_with_a_note() {
        let mut s = scenario("[database]\nversion = 15\n");
        let notes = s
            .apply(Overrides {
                image: Some("postgres:17".into()),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(s.database.image.as_deref(), Some("postgres:17"));
        assert_eq!(s.database.major, Some(17));
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(
            notes[0]
                .starts_with("--image postgres:17 is PostgreSQL 17; it overrides version = 15 in "),
            "{}",
            notes[0]
        );
        // The other way round: --pg-version over the file's image.
        let mut s = scenario("[database]\nimage = \"postgres:15\"\n");
        let notes = s
            .apply(Overrides {
                pg_version: Some(17),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(
            (s.database.image.as_deref(), s.database.major),
            (None, Some(17))
        );
        assert!(
            notes[0].contains("--pg-version 17 overrides image"),
            "{notes:?}"
        );
        // Agreeing values need no note; two flags that disagree are still refused.
        let mut s = scenario("[database]\nversion = 17\n");
        let notes = s
            .apply(Overrides {
                image: Some("postgres:17".into()),
                ..Default::default()
            })
            .unwrap();
        assert!(notes.is_empty(), "{notes:?}");
        let refused = scenario("")
            .apply(Overrides {
                image: Some("postgres:17".into()),
                pg_version: Some(15),
                ..Default::default()
            })
            .unwrap_err();
        assert!(
            refused.to_string().contains("drop one of them"),
            "{refused}"
        );
    }

    #[test]
    fn dataset_flags_land_in_the_dataset_section() {
        let mut s = scenario("");
        s.apply(Overrides {
            scale: Some(0.5),
            seed: Some(7),
            no_seed: true,
            dataset: Some("/tmp/prod.toml".into()),
            ..Default::default()
        })
        .unwrap();
        let d = s.sections.dataset.unwrap();
        assert_eq!(
            (d.scale, d.seed, d.enabled, d.generators.as_deref()),
            (Some(0.5), Some(7), Some(false), Some("/tmp/prod.toml"))
        );
        let refused = scenario("")
            .apply(Overrides {
                scale: Some(f64::NAN),
                ..Default::default()
            })
            .unwrap_err();
        assert!(refused.to_string().contains("--scale NaN"), "{refused}");
    }

    #[test]
    fn staging_modes_need_a_url_and_exclude_each_other() {
        let no_url = scenario("")
            .apply(Overrides {
                clone: Some(CloneMethod::Auto),
                ..Default::default()
            })
            .unwrap_err();
        assert!(no_url.to_string().contains("give --url"), "{no_url}");
        // A flag replaces the other mode the scenario file set.
        let mut s = scenario(&format!(
            "[database]\nurl = \"{URL}\"\nin_transaction = true\n"
        ));
        s.apply(Overrides {
            clone: Some(CloneMethod::Copy),
            clone_jobs: Some(2),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(
            (
                s.database.clone,
                s.database.in_transaction,
                s.database.clone_jobs
            ),
            (Some(CloneMethod::Copy), false, Some(2))
        );
        let both = scenario(&format!(
            "[database]\nurl = \"{URL}\"\nin_transaction = true\nclone = \"auto\"\n"
        ))
        .apply(Overrides::default())
        .unwrap_err();
        assert!(both.to_string().contains("cannot both be set"), "{both}");
    }
}
