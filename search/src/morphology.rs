//! Japanese morphological analysis with lindera and the IPADIC dictionary. It gives the reading of
//! a text in ひらがな, so that a parent typing じどうてあて finds 児童手当, and a tantivy tokenizer
//! that emits one term per morpheme, for comparing morphological analysis with CJK n-grams. The
//! dictionary is built at run time from the UTF-8 IPADIC sources that `scripts/ensure-ipadic.sh`
//! prepares: the built format is tied to lindera's version, so it is cached per version and never
//! committed.

use kosodate_domain::error_chain;
use std::borrow::Cow;
use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use lindera::dictionary::{DictionaryBuilder, Metadata, load_fs_dictionary};
use lindera::error::LinderaError;
use lindera::mode::Mode;
use lindera::segmenter::Segmenter;
use lindera::token::Token as Morpheme;
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

use crate::query::{fold_kana, normalize};
use crate::sentence::Morpheme as QueryMorpheme;

/// `lindera-ipadic` 6.2.0's `metadata.json`, which lindera's `embed-ipadic` feature would use but
/// cannot fetch offline. The detail indices below follow its schema (fields after `cost`).
const IPADIC_METADATA_JSON: &str = r#"{
  "name": "ipadic",
  "encoding": "UTF-8",
  "default_word_cost": -10000,
  "default_left_context_id": 0,
  "default_right_context_id": 0,
  "default_field_value": "*",
  "flexible_csv": true,
  "skip_invalid_cost_or_id": false,
  "normalize_details": true,
  "dictionary_schema": {
    "fields": [
      "surface",
      "left_context_id",
      "right_context_id",
      "cost",
      "part_of_speech",
      "part_of_speech_subcategory_1",
      "part_of_speech_subcategory_2",
      "part_of_speech_subcategory_3",
      "conjugation_type",
      "conjugation_form",
      "base_form",
      "reading",
      "pronunciation"
    ]
  },
  "user_dictionary_schema": {
    "fields": ["surface", "part_of_speech", "reading"]
  }
}"#;

const PART_OF_SPEECH: usize = 0;
const SUBCATEGORY: usize = 1;
const BASE_FORM: usize = 6;
const READING: usize = 7;
/// IPADIC's value for a detail it does not know (unknown words have no base form or reading).
const UNKNOWN_DETAIL: &str = "*";
const SYMBOL: &str = "記号";
/// Parts of speech that carry no meaning a parent searches for.
const DROPPED_PARTS_OF_SPEECH: [&str; 4] = ["助詞", "助動詞", SYMBOL, "フィラー"];
/// Inflected parts of speech, indexed by base form so that 入れない and 入れます meet.
const INFLECTED_PARTS_OF_SPEECH: [&str; 2] = ["動詞", "形容詞"];

/// Written last, in both the sources and the built dictionary: a directory without it is partial.
const COMPLETE_MARKER: &str = ".complete";
const REQUIRED_SOURCE_FILES: [&str; 5] = ["matrix.def", "char.def", "unk.def", "COPYRIGHT", "VERSION"];
/// IPADIC's licence must travel with the dictionary; the version says which IPADIC it is.
const COPIED_SOURCE_FILES: [&str; 2] = ["COPYRIGHT", "VERSION"];

#[derive(Debug, thiserror::Error)]
pub enum MorphologyError {
    #[error("no ipadic sources in {}: run scripts/ensure-ipadic.sh", .dir.display())]
    SourceNotFound { dir: PathBuf },
    #[error("the ipadic sources in {} are incomplete (no {COMPLETE_MARKER} marker): run scripts/ensure-ipadic.sh", .dir.display())]
    SourceIncomplete { dir: PathBuf },
    #[error("the ipadic sources in {} lack {file}: run scripts/ensure-ipadic.sh", .dir.display())]
    SourceFileMissing { dir: PathBuf, file: &'static str },
    #[error("the dictionary in {} is incomplete (no {COMPLETE_MARKER} marker)", .dir.display())]
    DictionaryIncomplete { dir: PathBuf },
    #[error("the built-in ipadic metadata is invalid")]
    Metadata(#[source] LinderaError),
    #[error("cannot build the dictionary in {}", .dir.display())]
    Build {
        dir: PathBuf,
        #[source]
        source: LinderaError,
    },
    #[error("cannot load the dictionary from {}", .dir.display())]
    Load {
        dir: PathBuf,
        #[source]
        source: LinderaError,
    },
    #[error("cannot {action} {}", .path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

fn io_error(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> MorphologyError {
    let path = path.to_path_buf();
    move |source| MorphologyError::Io { action, path, source }
}

/// Builds the lindera dictionary from the UTF-8 IPADIC sources in `source_dir` (made by
/// `scripts/ensure-ipadic.sh`) into `cache_dir/lindera-<version>-ipadic`, unless it is already
/// there, and returns that directory. The dictionary is built in a staging directory and renamed
/// into place once complete, so a crash never leaves a partial dictionary where one is expected,
/// and processes racing to build it all end with a complete one. Takes about 3 s and 270 MB.
pub fn prepare_dictionary(source_dir: &Path, cache_dir: &Path) -> Result<PathBuf, MorphologyError> {
    let target = cache_dir.join(format!("lindera-{}-ipadic", lindera::get_version()));
    if is_complete(&target) {
        return Ok(target);
    }
    check_sources(source_dir)?;
    fs::create_dir_all(cache_dir).map_err(io_error("create", cache_dir))?;
    discard_partial(&target, cache_dir)?;
    let staging = Staging::new(cache_dir, &target)?;
    build(source_dir, &staging.path)?;
    staging.publish(&target)?;
    Ok(target)
}

fn is_complete(dir: &Path) -> bool {
    dir.join(COMPLETE_MARKER).is_file()
}

fn check_sources(dir: &Path) -> Result<(), MorphologyError> {
    if !dir.is_dir() {
        return Err(MorphologyError::SourceNotFound {
            dir: dir.to_path_buf(),
        });
    }
    if !is_complete(dir) {
        return Err(MorphologyError::SourceIncomplete {
            dir: dir.to_path_buf(),
        });
    }
    let missing = |file| MorphologyError::SourceFileMissing {
        dir: dir.to_path_buf(),
        file,
    };
    if let Some(file) = REQUIRED_SOURCE_FILES
        .into_iter()
        .find(|file| !dir.join(file).is_file())
    {
        return Err(missing(file));
    }
    let has_csv = fs::read_dir(dir)
        .map_err(io_error("read", dir))?
        .filter_map(Result::ok)
        .any(|entry| {
            entry
                .path()
                .extension()
                .is_some_and(|extension| extension == "csv")
        });
    if has_csv { Ok(()) } else { Err(missing("*.csv")) }
}

fn build(source_dir: &Path, output_dir: &Path) -> Result<(), MorphologyError> {
    let metadata = Metadata::load(IPADIC_METADATA_JSON.as_bytes()).map_err(MorphologyError::Metadata)?;
    DictionaryBuilder::new(metadata)
        .build_dictionary(source_dir, output_dir)
        .map_err(|source| MorphologyError::Build {
            dir: output_dir.to_path_buf(),
            source,
        })?;
    for file in COPIED_SOURCE_FILES {
        let from = source_dir.join(file);
        fs::copy(&from, output_dir.join(file)).map_err(io_error("copy", &from))?;
    }
    let marker = output_dir.join(COMPLETE_MARKER);
    fs::write(&marker, "").map_err(io_error("write", &marker))?;
    sync_files(output_dir)
}

/// Flushes the built files before the rename publishes them: otherwise a power loss soon after
/// could leave a directory with its marker but empty files.
fn sync_files(dir: &Path) -> Result<(), MorphologyError> {
    for entry in fs::read_dir(dir).map_err(io_error("read", dir))? {
        let path = entry.map_err(io_error("read", dir))?.path();
        fs::File::open(&path)
            .and_then(|file| file.sync_all())
            .map_err(io_error("flush", &path))?;
    }
    fs::File::open(dir)
        .and_then(|file| file.sync_all())
        .map_err(io_error("flush", dir))
}

/// Removes a directory without the marker, first moving it aside so that nobody sees it half
/// removed. This function never publishes such a directory, so it holds nothing worth keeping, and
/// it would stop the rename. Checked again here because another process may have published a
/// complete dictionary since the caller looked.
fn discard_partial(dir: &Path, cache_dir: &Path) -> Result<(), MorphologyError> {
    if is_complete(dir) {
        return Ok(());
    }
    let aside = unique_sibling(cache_dir, dir, "discarded");
    match fs::rename(dir, &aside) {
        Ok(()) => fs::remove_dir_all(&aside).map_err(io_error("remove", &aside)),
        // Nothing there, or another process moved it first.
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(MorphologyError::Io {
            action: "move aside",
            path: dir.to_path_buf(),
            source,
        }),
    }
}

/// A hidden name next to `target`, unique to this process and moment.
fn unique_sibling(cache_dir: &Path, target: &Path, purpose: &str) -> PathBuf {
    let name = target
        .file_name()
        .map(|name| name.to_string_lossy())
        .unwrap_or_default();
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_nanos())
        .unwrap_or_default();
    cache_dir.join(format!(".{name}.{purpose}-{}-{nanos}", std::process::id()))
}

/// A directory that is removed on drop unless it has been published.
struct Staging {
    path: PathBuf,
    published: bool,
}

impl Staging {
    fn new(cache_dir: &Path, target: &Path) -> Result<Self, MorphologyError> {
        let path = unique_sibling(cache_dir, target, "building");
        fs::create_dir(&path).map_err(io_error("create", &path))?;
        Ok(Self {
            path,
            published: false,
        })
    }

    fn publish(mut self, target: &Path) -> Result<(), MorphologyError> {
        match fs::rename(&self.path, target) {
            Ok(()) => {
                self.published = true;
                // The rename itself must survive a power loss too.
                let parent = target
                    .parent()
                    .filter(|parent| !parent.as_os_str().is_empty())
                    .unwrap_or(Path::new("."));
                fs::File::open(parent)
                    .and_then(|dir| dir.sync_all())
                    .map_err(io_error("flush", parent))
            }
            // Another process published first; its dictionary is as good as ours, which the drop
            // removes.
            Err(_) if is_complete(target) => Ok(()),
            Err(source) => Err(MorphologyError::Io {
                action: "move into place",
                path: target.to_path_buf(),
                source,
            }),
        }
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.published {
            let _ = fs::remove_dir_all(&self.path);
        }
    }
}

/// A loaded IPADIC dictionary. Cheap to clone: clones share the memory-mapped dictionary.
#[derive(Clone)]
pub struct Morphology {
    segmenter: Arc<Segmenter>,
    dictionary_dir: Arc<Path>,
}

impl fmt::Debug for Morphology {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Morphology")
            .field("dictionary_dir", &self.dictionary_dir)
            .finish_non_exhaustive()
    }
}

impl Morphology {
    /// Maps the dictionary that [`prepare_dictionary`] built (about 1 ms).
    pub fn load(dictionary_dir: &Path) -> Result<Self, MorphologyError> {
        if !is_complete(dictionary_dir) {
            return Err(MorphologyError::DictionaryIncomplete {
                dir: dictionary_dir.to_path_buf(),
            });
        }
        let dictionary = load_fs_dictionary(dictionary_dir).map_err(|source| MorphologyError::Load {
            dir: dictionary_dir.to_path_buf(),
            source,
        })?;
        Ok(Self {
            segmenter: Arc::new(Segmenter::new(Mode::Normal, dictionary, None)),
            dictionary_dir: Arc::from(dictionary_dir),
        })
    }

    /// The reading of `text` in ひらがな, lower case: 児童手当の申請 → じどうてあてのしんせい.
    /// Words the dictionary does not know keep their (normalised) spelling. Where the text has
    /// whitespace or punctuation the reading has one space, so that n-grams of the reading do
    /// not join words across a sentence boundary.
    pub fn reading(&self, text: &str) -> String {
        let normalized = normalize(text);
        let morphemes = match self.segmenter.segment(Cow::Borrowed(normalized.as_str())) {
            Ok(morphemes) => morphemes,
            Err(error) => {
                tracing::warn!(error = %error_chain(&error), "morphological analysis failed; the reading is the text itself");
                return fold_kana(&normalized);
            }
        };
        let mut reading = String::with_capacity(normalized.len() * 2);
        let mut end = 0;
        let mut separated = false;
        for mut morpheme in morphemes {
            // The segmenter skips whitespace: a gap between morphemes is where it was.
            separated |= morpheme.byte_start > end;
            end = morpheme.byte_end;
            if is_punctuation(&mut morpheme) {
                separated = true;
                continue;
            }
            if separated && !reading.is_empty() {
                reading.push(' ');
            }
            separated = false;
            match morpheme.get_detail(READING) {
                Some(known) if known != UNKNOWN_DETAIL => reading.push_str(known),
                _ => reading.push_str(&morpheme.surface),
            }
        }
        fold_kana(&reading).to_lowercase()
    }

    /// The morphemes of a (normalised) run of a parent's query, with what `sentence.rs` needs to
    /// tell the words that name a program from the rest of the sentence.
    pub fn morphemes(&self, text: &str) -> Vec<QueryMorpheme> {
        segment(&self.segmenter, text, "the query stays as typed")
            .into_iter()
            .map(|mut morpheme| {
                let mut detail = |index| {
                    morpheme
                        .get_detail(index)
                        .filter(|detail| *detail != UNKNOWN_DETAIL)
                        .map(str::to_owned)
                };
                let (part_of_speech, subcategory, base_form) =
                    (detail(PART_OF_SPEECH), detail(SUBCATEGORY), detail(BASE_FORM));
                QueryMorpheme {
                    surface: morpheme.surface.to_string(),
                    part_of_speech: part_of_speech.unwrap_or_else(|| UNKNOWN_DETAIL.to_owned()),
                    subcategory: subcategory.unwrap_or_else(|| UNKNOWN_DETAIL.to_owned()),
                    base_form,
                }
            })
            .collect()
    }

    /// A tantivy tokenizer sharing this dictionary.
    pub fn tokenizer(&self) -> MorphologicalTokenizer {
        MorphologicalTokenizer {
            segmenter: Arc::clone(&self.segmenter),
        }
    }
}

/// Symbols by part of speech, and unknown symbols too: IPADIC calls an unknown "~" or "(" a
/// noun.
fn is_punctuation(morpheme: &mut Morpheme<'_>) -> bool {
    morpheme.get_detail(PART_OF_SPEECH) == Some(SYMBOL) || !has_word_character(&morpheme.surface)
}

fn has_word_character(text: &str) -> bool {
    text.chars().any(char::is_alphanumeric)
}

/// A tantivy tokenizer with one token per morpheme: verbs and adjectives by base form, other
/// words as written, normalised like queries (NFKC, lower case, ひらがな); particles, auxiliary
/// verbs, symbols and fillers dropped. Offsets point into the original text, for highlighting.
#[derive(Clone)]
pub struct MorphologicalTokenizer {
    segmenter: Arc<Segmenter>,
}

impl fmt::Debug for MorphologicalTokenizer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MorphologicalTokenizer").finish_non_exhaustive()
    }
}

impl Tokenizer for MorphologicalTokenizer {
    type TokenStream<'a> = MorphologicalTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> MorphologicalTokenStream {
        MorphologicalTokenStream {
            tokens: terms(&self.segmenter, text).into_iter(),
            current: Token::default(),
        }
    }
}

/// The original text is segmented, not its normalised form, because a morpheme's byte offsets
/// then point into the original text as they are; each term is normalised on its own.
fn terms(segmenter: &Segmenter, text: &str) -> Vec<Token> {
    segment(segmenter, text, "the text is not indexed")
        .into_iter()
        .filter_map(term)
        .enumerate()
        .map(|(position, token)| Token { position, ..token })
        .collect()
}

fn term(mut morpheme: Morpheme<'_>) -> Option<Token> {
    let part_of_speech = morpheme.get_detail(PART_OF_SPEECH).unwrap_or(UNKNOWN_DETAIL);
    if DROPPED_PARTS_OF_SPEECH.contains(&part_of_speech) {
        return None;
    }
    let base_form = if INFLECTED_PARTS_OF_SPEECH.contains(&part_of_speech) {
        morpheme
            .get_detail(BASE_FORM)
            .filter(|base| *base != UNKNOWN_DETAIL)
            .map(str::to_owned)
    } else {
        None
    };
    let text = fold_kana(&normalize(base_form.as_deref().unwrap_or(&morpheme.surface)));
    has_word_character(&text).then_some(Token {
        offset_from: morpheme.byte_start,
        offset_to: morpheme.byte_end,
        position: 0,
        text,
        position_length: 1,
    })
}

/// The morphemes of `text`, or none (with a warning saying what follows) when the analysis fails.
fn segment<'a>(segmenter: &'a Segmenter, text: &'a str, consequence: &str) -> Vec<Morpheme<'a>> {
    segmenter.segment(Cow::Borrowed(text)).unwrap_or_else(|error| {
        tracing::warn!(error = %error_chain(&error), "morphological analysis failed; {consequence}");
        Vec::new()
    })
}

/// The tokens of one text, computed when the stream is created.
#[derive(Debug)]
pub struct MorphologicalTokenStream {
    tokens: std::vec::IntoIter<Token>,
    current: Token,
}

impl TokenStream for MorphologicalTokenStream {
    fn advance(&mut self) -> bool {
        match self.tokens.next() {
            Some(token) => {
                self.current = token;
                true
            }
            None => false,
        }
    }

    fn token(&self) -> &Token {
        &self.current
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.current
    }
}

#[cfg(test)]
mod tests {
    use std::sync::OnceLock;
    use std::time::Instant;

    use super::*;

    /// The sources `scripts/ensure-ipadic.sh` prepares; a missing one fails the tests rather than
    /// skipping them, so that the analysis is never silently untested.
    fn ipadic_source() -> PathBuf {
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let dir = match std::env::var_os("KOSODATE_IPADIC_SOURCE") {
            Some(dir) => workspace.join(dir),
            None => workspace.join(".cache/mecab-ipadic-utf8"),
        };
        assert!(
            is_complete(&dir),
            "no IPADIC sources in {}: run scripts/ensure-ipadic.sh",
            dir.display()
        );
        dir
    }

    struct Fixture {
        morphology: Morphology,
        /// What the cache directory held after two calls of `prepare_dictionary`.
        cache_entries: Vec<String>,
        dictionary_files: Vec<String>,
        same_directory_twice: bool,
        rebuilt_on_second_call: bool,
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .expect("readable directory")
            .map(|entry| {
                entry
                    .expect("directory entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        names.sort();
        names
    }

    /// Built once per test binary: building takes seconds and hundreds of megabytes.
    fn fixture() -> &'static Fixture {
        static FIXTURE: OnceLock<Fixture> = OnceLock::new();
        FIXTURE.get_or_init(|| {
            let source = ipadic_source();
            let cache = tempfile::tempdir().expect("temporary directory");
            let dictionary = prepare_dictionary(&source, cache.path()).expect("dictionary built");
            let sentinel = dictionary.join("sentinel");
            fs::write(&sentinel, "").expect("sentinel written");
            let again = prepare_dictionary(&source, cache.path()).expect("dictionary found");
            let rebuilt_on_second_call = !sentinel.exists();
            fs::remove_file(&sentinel).expect("sentinel removed");
            let fixture = Fixture {
                morphology: Morphology::load(&dictionary).expect("dictionary loaded"),
                cache_entries: names(cache.path()),
                dictionary_files: names(&dictionary),
                same_directory_twice: again == dictionary,
                rebuilt_on_second_call,
            };
            // A static is never dropped, so keeping the directory would leave 46 MB behind per
            // run; the loaded dictionary's mapped files stay readable once unlinked.
            drop(cache);
            fixture
        })
    }

    fn morphology() -> &'static Morphology {
        &fixture().morphology
    }

    /// (original text under the offsets, term) for each token.
    fn tokens(text: &str) -> Vec<(&str, String)> {
        let mut tokenizer = morphology().tokenizer();
        let mut stream = tokenizer.token_stream(text);
        let mut tokens = Vec::new();
        let mut position = 0;
        while let Some(token) = stream.next() {
            assert_eq!(token.position, position, "positions follow each other in {text}");
            position += 1;
            tokens.push((&text[token.offset_from..token.offset_to], token.text.clone()));
        }
        tokens
    }

    fn terms(text: &str) -> Vec<String> {
        tokens(text).into_iter().map(|(_, term)| term).collect()
    }

    #[test]
    fn the_metadata_is_ipadic_s() {
        let metadata = Metadata::load(IPADIC_METADATA_JSON.as_bytes()).expect("valid metadata");
        assert_eq!(metadata.name, "ipadic");
        assert_eq!(metadata.dictionary_schema.fields.len(), 13);
        assert_eq!(metadata.dictionary_schema.fields[4 + READING], "reading");
        assert_eq!(metadata.dictionary_schema.fields[4 + BASE_FORM], "base_form");
        assert_eq!(
            metadata.user_dictionary_schema.fields,
            ["surface", "part_of_speech", "reading"]
        );
    }

    #[test]
    fn reads_kanji_in_hiragana() {
        let morphology = morphology();
        assert_eq!(morphology.reading("児童手当"), "じどうてあて");
        assert_eq!(morphology.reading("ジドウテアテ"), "じどうてあて");
        assert_eq!(morphology.reading("ｼﾞﾄﾞｳﾃｱﾃ"), "じどうてあて");
        assert_eq!(morphology.reading("保育園"), "ほいくえん");
        assert_eq!(morphology.reading(""), "");
    }

    #[test]
    fn reading_keeps_unknown_words_and_separates_sentences() {
        let morphology = morphology();
        let reading =
            morphology.reading("児童手当の申請は、３歳児の保育園の入園の前に。　ＡＢＣ Card（1~2歳）");
        assert_eq!(
            reading,
            "じどうてあてのしんせいは 3さいじのほいくえんのにゅうえんのまえに abc card 1 2さい"
        );
        assert_eq!(morphology.reading("ファミリー・サポート"), "ふぁみりー さぽーと");
    }

    #[test]
    fn offsets_slice_the_original_text() {
        let cases: [(&str, &[(&str, &str)]); 4] = [
            (
                "児童手当を申請する",
                &[
                    ("児童", "児童"),
                    ("手当", "手当"),
                    ("申請", "申請"),
                    ("する", "する"),
                ],
            ),
            ("ｼﾞﾄﾞｳﾃｱﾃ", &[("ｼﾞﾄﾞｳﾃｱﾃ", "じどうてあて")]),
            ("３歳児", &[("３", "3"), ("歳児", "歳児")]),
            (
                "ＡＢＣ　カード（全角）",
                &[("ＡＢＣ", "abc"), ("カード", "かーど"), ("全角", "全角")],
            ),
        ];
        for (text, expected) in cases {
            let expected: Vec<(&str, String)> = expected
                .iter()
                .map(|(slice, term)| (*slice, (*term).to_owned()))
                .collect();
            let actual = tokens(text);
            assert_eq!(
                actual[..expected.len().min(actual.len())],
                expected[..],
                "{text}: {actual:?}"
            );
        }
    }

    #[test]
    fn drops_particles_and_indexes_verbs_by_base_form() {
        assert_eq!(terms("保育園に入れない"), ["保育園", "入れる"]);
        assert_eq!(terms("申請が必要です。"), ["申請", "必要"]);
        assert_eq!(terms("えーと、新しい制度"), ["新しい", "制度"]);
        assert_eq!(terms("子どもを預けたい"), ["子ども", "預ける"]);
    }

    /// The words a parent's query keeps, as the index searches them.
    fn query_words(text: &str) -> Vec<String> {
        let light_verbs = crate::sentence::parse_word_list(crate::sentence::DEFAULT_LIGHT_VERBS);
        let normalized = normalize(text);
        crate::sentence::content_words(&morphology().morphemes(&normalized), &light_verbs)
    }

    #[test]
    fn sentences_keep_the_words_that_name_a_program() {
        assert_eq!(query_words("妊娠したら"), ["妊娠"]);
        assert_eq!(query_words("保育園に入りたい"), ["保育園"]);
        assert_eq!(
            query_words("子どもが熱を出したらどこに相談すればいい？"),
            ["子ども", "熱", "相談"]
        );
        assert_eq!(query_words("児童手当はいつもらえますか"), ["児童手当"]);
        assert_eq!(query_words("子どもの医療費"), ["子ども", "医療費"]);
        assert_eq!(query_words("３歳児健診を受けたい"), ["3歳児健診"]);
        assert_eq!(query_words("子どもを預けて働きたい"), ["子ども", "預け", "働き"]);
    }

    #[test]
    fn prepare_dictionary_builds_once_and_cleans_up() {
        let fixture = fixture();
        assert!(fixture.same_directory_twice);
        assert!(!fixture.rebuilt_on_second_call);
        let expected_name = format!("lindera-{}-ipadic", lindera::get_version());
        assert_eq!(
            fixture.cache_entries,
            [expected_name],
            "no staging directory is left behind"
        );
        for file in [COMPLETE_MARKER, "COPYRIGHT", "VERSION", "metadata.json"] {
            assert!(
                fixture.dictionary_files.iter().any(|name| name == file),
                "{file} in the dictionary"
            );
        }
    }

    #[test]
    fn refuses_incomplete_sources() {
        let cache = tempfile::tempdir().expect("temporary directory");
        let source = tempfile::tempdir().expect("temporary directory");
        let missing = source.path().join("missing");
        let error = prepare_dictionary(&missing, cache.path()).expect_err("no sources");
        assert!(matches!(error, MorphologyError::SourceNotFound { .. }), "{error}");

        let error = prepare_dictionary(source.path(), cache.path()).expect_err("no marker");
        assert!(
            matches!(error, MorphologyError::SourceIncomplete { .. }),
            "{error}"
        );
        assert_message_style(&error);

        fs::write(source.path().join(COMPLETE_MARKER), "").expect("marker written");
        let error = prepare_dictionary(source.path(), cache.path()).expect_err("no files");
        assert!(
            matches!(
                error,
                MorphologyError::SourceFileMissing {
                    file: "matrix.def",
                    ..
                }
            ),
            "{error}"
        );
        assert!(
            error
                .to_string()
                .ends_with("lack matrix.def: run scripts/ensure-ipadic.sh"),
            "{error}"
        );

        for file in REQUIRED_SOURCE_FILES {
            fs::write(source.path().join(file), "").expect("file written");
        }
        let error = prepare_dictionary(source.path(), cache.path()).expect_err("no csv");
        assert!(
            matches!(error, MorphologyError::SourceFileMissing { file: "*.csv", .. }),
            "{error}"
        );
        assert!(
            names(cache.path()).is_empty(),
            "nothing is built from incomplete sources"
        );
    }

    fn assert_message_style(error: &MorphologyError) {
        let message = error.to_string();
        assert!(message.starts_with(|c: char| c.is_lowercase()), "{message}");
        assert!(!message.ends_with('.'), "{message}");
    }

    #[test]
    fn load_refuses_an_incomplete_dictionary() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let error = Morphology::load(dir.path()).expect_err("no marker");
        assert!(
            matches!(error, MorphologyError::DictionaryIncomplete { .. }),
            "{error}"
        );
        assert_message_style(&error);
    }

    #[test]
    fn a_partial_dictionary_is_discarded_and_a_lost_race_is_fine() {
        let cache = tempfile::tempdir().expect("temporary directory");
        let target = cache.path().join("lindera-ipadic");
        fs::create_dir(&target).expect("partial dictionary");
        fs::write(target.join("matrix.mtx"), "partial").expect("partial file");
        discard_partial(&target, cache.path()).expect("discarded");
        discard_partial(&target, cache.path()).expect("nothing to discard");
        assert!(names(cache.path()).is_empty());

        fs::create_dir(&target).expect("dictionary of the winner");
        fs::write(target.join(COMPLETE_MARKER), "").expect("marker written");
        discard_partial(&target, cache.path()).expect("a complete dictionary is kept");
        let staging = Staging::new(cache.path(), &target).expect("staging");
        fs::write(staging.path.join("matrix.mtx"), "ours").expect("file written");
        staging.publish(&target).expect("the other dictionary is as good");
        assert_eq!(names(cache.path()), ["lindera-ipadic"]);
        assert_eq!(names(&target), [COMPLETE_MARKER]);
    }

    #[test]
    fn is_shareable_between_threads() {
        fn shareable<T: Send + Sync + Clone + fmt::Debug + 'static>() {}
        shareable::<Morphology>();
        shareable::<MorphologicalTokenizer>();
        assert!(format!("{:?}", morphology()).starts_with("Morphology"));
    }

    /// `cargo test --release -p kosodate-search --features morphology -- --ignored --nocapture`
    #[test]
    #[ignore = "measures speed"]
    fn throughput() {
        let started = Instant::now();
        let morphology = morphology();
        eprintln!("dictionary built and loaded in {:?}", started.elapsed());
        let text = "児童手当は、中学校修了前の児童を養育している方に支給されます。\
                    ３歳児健診や保育園の入園申込み、ひとり親家庭への給付金についてはお問い合わせください。"
            .repeat(2_000);
        let started = Instant::now();
        let reading = morphology.reading(&text);
        let elapsed = started.elapsed();
        let megabytes = text.len() as f64 / 1e6;
        eprintln!(
            "reading: {megabytes:.2} MB in {elapsed:?}, {:.1} MB/s",
            megabytes / elapsed.as_secs_f64()
        );
        let started = Instant::now();
        let count = tokens(&text).len();
        let elapsed = started.elapsed();
        eprintln!(
            "tokens: {count} in {elapsed:?}, {:.1} MB/s",
            megabytes / elapsed.as_secs_f64()
        );
        assert!(reading.len() > text.len() / 2);
    }
}
