//! The tantivy index of published programs: opening (and rebuilding when it was built by another
//! version), writing, and the program keys, versions and rules kept beside it in memory.

use std::collections::{HashMap, HashSet};
use std::num::NonZeroUsize;
use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use kosodate_domain::ProgramId;
use kosodate_matcher::{EligibilityDocument, Rule};
use kosodate_registry::Program;
use lru::LruCache;
use serde::{Deserialize, Serialize};
use tantivy::collector::DocSetCollector;
use tantivy::directory::MmapDirectory;
use tantivy::index::SegmentId;
use tantivy::query::AllQuery;
use tantivy::schema::Value;
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, SegmentMeta, TantivyDocument};

use crate::analyzer::{AnalysisTokenizer, Bigrams, TEXT_ANALYZER, TextAnalysis};
use crate::compose::{DEFAULT_STOPWORDS, Segmentation};
use crate::document::{Fields, SCHEMA_VERSION, program_key};
use crate::error::SearchError;
use crate::reader::Reader;
use crate::request::{SearchRequest, SearchResults};
use crate::sentence::{DEFAULT_LIGHT_VERBS, parse_word_list};
use crate::synonyms::{DEFAULT_SYNONYMS, Synonyms};

/// Memory for the writer's indexing buffer: programs are small, and several server processes may
/// each hold an index.
const WRITER_MEMORY: usize = 50_000_000;
/// Segments a search asks at once: one per core, at most this many. A search that visits most
/// programs (a sentence's loose query, a common word without a municipality) then takes a
/// fraction of the time on an idle server, and a busy one does the same work as before.
const MAX_SEARCH_THREADS: usize = 4;
/// How long [`SearchIndex::compact`] waits for the writer's own merges to let go of segments.
const MERGE_PATIENCE: Duration = Duration::from_secs(60);
const MERGE_RETRY: Duration = Duration::from_millis(200);
/// Answers kept for repeated searches: parents ask much the same things (the search log's top
/// few hundred queries are most searches), and a page of 20 programs is a few tens of kilobytes,
/// so this holds at most some tens of megabytes.
pub const RECENT_ANSWERS: NonZeroUsize = NonZeroUsize::new(2_048).expect("not zero");

pub(crate) type RecentAnswers = LruCache<(u64, SearchRequest), SearchResults>;

/// What the index was built with, kept in its commit payload: an index built by another schema
/// or with another reading dictionary is rebuilt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub schema_version: u32,
    /// The [`TextAnalysis`] that made the terms.
    pub analyzer: String,
    /// `None` when programs were indexed without readings (no dictionary).
    pub reading_dictionary: Option<String>,
    /// The latest `updated_at` of the programs the index has seen: following the registry
    /// resumes from here.
    pub watermark: Option<DateTime<Utc>>,
}

/// What the index holds of one program, besides the document.
#[derive(Debug, Clone)]
pub struct Indexed {
    pub id: ProgramId,
    pub version: i32,
    /// `None` for programs whose eligibility is described in words only: no age filter excludes
    /// them.
    pub rule: Option<Arc<Rule>>,
}

/// How [`SearchIndex::open`] found the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opened {
    /// It was there and built by this version: catch up from its watermark.
    Existing,
    /// It was missing or outdated and is now empty: fill it from the database.
    Empty,
}

pub struct SearchIndex {
    pub(crate) reader: IndexReader,
    writer: Mutex<IndexWriter>,
    pub(crate) fields: Fields,
    pub(crate) programs: Arc<RwLock<HashMap<u64, Indexed>>>,
    pub(crate) synonyms: Synonyms,
    pub(crate) stopwords: HashSet<String>,
    light_verbs: HashSet<String>,
    pub(crate) analysis: Arc<dyn TextAnalysis>,
    readings: Option<Arc<dyn Reader>>,
    manifest: Mutex<Manifest>,
    /// Recent answers by searcher generation and request (`searcher.rs`); `None` keeps none.
    pub(crate) answers: Mutex<Option<RecentAnswers>>,
    /// Segments searched at once, one per thread: what [`SearchIndex::compact`] leaves.
    parts: usize,
}

impl SearchIndex {
    /// Opens the index in `directory`, or starts an empty one there when it is missing or was
    /// built by another version. `None` keeps the index in memory.
    pub fn open(
        directory: Option<&Path>,
        readings: Option<Arc<dyn Reader>>,
    ) -> Result<(Self, Opened), SearchError> {
        Self::open_with(directory, readings, Arc::new(Bigrams))
    }

    /// [`SearchIndex::open`] with another analysis of the text fields (for comparing analyzers).
    pub fn open_with(
        directory: Option<&Path>,
        readings: Option<Arc<dyn Reader>>,
        analysis: Arc<dyn TextAnalysis>,
    ) -> Result<(Self, Opened), SearchError> {
        let (schema, fields) = Fields::schema();
        let wanted = Manifest {
            schema_version: SCHEMA_VERSION,
            analyzer: analysis.name(),
            reading_dictionary: readings.as_ref().map(|reader| reader.dictionary()),
            watermark: None,
        };
        let Some(directory) = directory else {
            let index = Index::create_in_ram(schema);
            return Ok((
                Self::assemble(index, fields, readings, analysis, wanted)?,
                Opened::Empty,
            ));
        };
        std::fs::create_dir_all(directory).map_err(|source| SearchError::Directory {
            path: directory.to_owned(),
            source,
        })?;
        if let Some(existing) = open_existing(directory, &wanted)? {
            let manifest = manifest_of(&existing)?.unwrap_or(wanted);
            let opened = Self::assemble(existing, fields, readings, analysis, manifest)?;
            opened.load_programs()?;
            return Ok((opened, Opened::Existing));
        }
        let mmap = MmapDirectory::open(directory)?;
        let index = Index::create(mmap, schema, tantivy::IndexSettings::default())?;
        Ok((
            Self::assemble(index, fields, readings, analysis, wanted)?,
            Opened::Empty,
        ))
    }

    fn assemble(
        mut index: Index,
        fields: Fields,
        readings: Option<Arc<dyn Reader>>,
        analysis: Arc<dyn TextAnalysis>,
        manifest: Manifest,
    ) -> Result<Self, SearchError> {
        let parts = search_threads();
        if parts > 1 {
            index.set_multithread_executor(parts)?;
        }
        index.tokenizers().register(
            TEXT_ANALYZER,
            TextAnalyzer::from(AnalysisTokenizer(Arc::clone(&analysis))),
        );
        let writer = index.writer(WRITER_MEMORY).map_err(lock_error)?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let synonyms = Synonyms::parse(DEFAULT_SYNONYMS)?;
        Ok(Self {
            reader,
            writer: Mutex::new(writer),
            fields,
            programs: Arc::new(RwLock::new(HashMap::new())),
            synonyms,
            stopwords: parse_word_list(DEFAULT_STOPWORDS),
            light_verbs: parse_word_list(DEFAULT_LIGHT_VERBS),
            analysis,
            readings,
            manifest: Mutex::new(manifest),
            answers: Mutex::new(Some(LruCache::new(RECENT_ANSWERS))),
            parts,
        })
    }

    /// The keys, versions and rules of the programs in an index opened from disk.
    fn load_programs(&self) -> Result<(), SearchError> {
        let searcher = self.reader.searcher();
        let addresses = searcher.search(&AllQuery, &DocSetCollector)?;
        let mut programs = self.programs.write().map_err(|_| SearchError::Poisoned)?;
        for address in addresses {
            let document: TantivyDocument = searcher.doc(address)?;
            let text = |field| document.get_first(field).and_then(|value| value.as_str());
            let Some(id) = text(self.fields.id).and_then(|id| ProgramId::parse(id).ok()) else {
                continue;
            };
            let version = document
                .get_first(self.fields.version)
                .and_then(|value| value.as_i64())
                .unwrap_or_default();
            let rule = text(self.fields.eligibility).and_then(parse_rule);
            let indexed = Indexed {
                id,
                version: i32::try_from(version).unwrap_or_default(),
                rule,
            };
            programs.insert(program_key(id), indexed);
        }
        Ok(())
    }

    /// How queries' sentences are cut into words, when the index has a dictionary.
    pub(crate) fn segmentation(&self) -> Option<Segmentation<'_>> {
        self.readings.as_deref().map(|reader| Segmentation {
            reader,
            light_verbs: &self.light_verbs,
        })
    }

    /// The version of a program as indexed, if it is.
    pub fn indexed_version(&self, id: ProgramId) -> Option<i32> {
        let programs = self.programs.read().ok()?;
        programs.get(&program_key(id)).map(|indexed| indexed.version)
    }

    /// Every indexed program and its version.
    pub fn indexed_versions(&self) -> HashMap<ProgramId, i32> {
        let Ok(programs) = self.programs.read() else {
            return HashMap::new();
        };
        programs
            .values()
            .map(|indexed| (indexed.id, indexed.version))
            .collect()
    }

    pub fn len(&self) -> usize {
        self.programs
            .read()
            .map(|programs| programs.len())
            .unwrap_or_default()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn manifest(&self) -> Manifest {
        self.manifest
            .lock()
            .map(|manifest| manifest.clone())
            .unwrap_or_else(|poisoned| poisoned.into_inner().clone())
    }

    /// Adds or replaces published programs; nothing is searchable before [`SearchIndex::commit`].
    pub fn upsert<'p>(&self, programs: impl IntoIterator<Item = &'p Program>) -> Result<usize, SearchError> {
        let writer = self.writer.lock().map_err(|_| SearchError::Poisoned)?;
        let mut indexed = self.programs.write().map_err(|_| SearchError::Poisoned)?;
        let mut count = 0;
        for program in programs {
            let reading = self
                .readings
                .as_ref()
                .map(|reader| program_reading(reader.as_ref(), program));
            writer.delete_term(self.fields.id_term(program.id));
            writer.add_document(self.fields.document(program, reading))?;
            let entry = Indexed {
                id: program.id,
                version: program.version,
                rule: parse_rule(&program.content.eligibility.to_string()),
            };
            indexed.insert(program_key(program.id), entry);
            count += 1;
        }
        Ok(count)
    }

    /// Takes programs out (archived, or no longer published).
    pub fn remove(&self, ids: impl IntoIterator<Item = ProgramId>) -> Result<usize, SearchError> {
        let writer = self.writer.lock().map_err(|_| SearchError::Poisoned)?;
        let mut indexed = self.programs.write().map_err(|_| SearchError::Poisoned)?;
        let mut count = 0;
        for id in ids {
            if indexed.remove(&program_key(id)).is_some() {
                writer.delete_term(self.fields.id_term(id));
                count += 1;
            }
        }
        Ok(count)
    }

    /// Makes the changes searchable and durable, with the registry position they reach.
    pub fn commit(&self, watermark: Option<DateTime<Utc>>) -> Result<(), SearchError> {
        let mut writer = self.writer.lock().map_err(|_| SearchError::Poisoned)?;
        let mut manifest = self.manifest.lock().map_err(|_| SearchError::Poisoned)?;
        if watermark.is_some() {
            manifest.watermark = watermark.max(manifest.watermark);
        }
        let payload = serde_json::to_string(&*manifest).map_err(|_| SearchError::Poisoned)?;
        let mut prepared = writer.prepare_commit()?;
        prepared.set_payload(&payload);
        prepared.commit()?;
        drop(writer);
        self.reader.reload()?;
        // Answers are kept by searcher generation, so the old ones can no longer be served:
        // dropped now rather than when they age out.
        if let Some(answers) = self.answers.lock().map_err(|_| SearchError::Poisoned)?.as_mut() {
            answers.clear();
        }
        Ok(())
    }

    /// How many recent answers to keep for repeated searches; 0 keeps none, so that every
    /// search does the engine's whole work (the search benchmark measures that).
    pub fn keep_recent_answers(&self, capacity: usize) -> Result<(), SearchError> {
        let mut answers = self.answers.lock().map_err(|_| SearchError::Poisoned)?;
        *answers = NonZeroUsize::new(capacity).map(LruCache::new);
        Ok(())
    }

    /// The segments a search asks.
    pub fn segments(&self) -> usize {
        self.reader.searcher().segment_readers().len()
    }

    /// Segments a search asks at once, each on its own thread (one per core, at most
    /// [`MAX_SEARCH_THREADS`]): what [`SearchIndex::compact`] merges the index into.
    pub fn parts(&self) -> usize {
        self.parts
    }

    /// Merges the segments into [`SearchIndex::parts`] of about equal size, as after a bulk
    /// build: a search then asks each part on its own thread rather than a dozen segments one
    /// after another, and each of its words is looked up once per part. The merge keeps the last
    /// commit's payload, so the watermark stands. Returns the number of segments merged (0 when
    /// there was nothing to merge, or the writer's own merges kept them busy past
    /// [`MERGE_PATIENCE`]).
    pub fn compact(&self) -> Result<usize, SearchError> {
        let deadline = Instant::now() + MERGE_PATIENCE;
        loop {
            // The metas are dropped here: tantivy keeps the files of a segment whose meta is
            // alive, and collects the merged ones' when a merge ends.
            let groups: Vec<Vec<SegmentId>> = balanced(
                &self.reader.searcher().index().searchable_segment_metas()?,
                self.parts,
            )
            .into_iter()
            .filter(|group| group.len() > 1)
            .collect();
            if groups.is_empty() {
                return Ok(0);
            }
            let mut writer = self.writer.lock().map_err(|_| SearchError::Poisoned)?;
            // Started together, so that the parts are merged on as many threads.
            let merges: Vec<_> = groups.iter().map(|group| writer.merge(group)).collect();
            let merged: Result<Vec<_>, _> = merges.into_iter().map(|merge| merge.wait()).collect();
            drop(writer);
            match merged {
                Ok(_) => {
                    self.reader.reload()?;
                    return Ok(groups.iter().map(Vec::len).sum());
                }
                // The merge policy merges after each commit: a segment it holds cannot be merged
                // again until it is done, which takes seconds at most.
                Err(error) if Instant::now() < deadline => {
                    tracing::debug!(error = %error, "segments busy in a merge; trying again");
                    std::thread::sleep(MERGE_RETRY);
                }
                Err(error) => {
                    tracing::info!(error = %error, "segments not merged: the writer's merges held them");
                    return Ok(0);
                }
            }
        }
    }

    /// Empties the index (for a rebuild); the watermark starts over.
    pub fn clear(&self) -> Result<(), SearchError> {
        let writer = self.writer.lock().map_err(|_| SearchError::Poisoned)?;
        writer.delete_all_documents()?;
        self.programs.write().map_err(|_| SearchError::Poisoned)?.clear();
        self.manifest.lock().map_err(|_| SearchError::Poisoned)?.watermark = None;
        Ok(())
    }
}

/// The threads a search uses: one per core, at most [`MAX_SEARCH_THREADS`].
fn search_threads() -> usize {
    std::thread::available_parallelism()
        .map_or(1, NonZeroUsize::get)
        .clamp(1, MAX_SEARCH_THREADS)
}

/// The segments in `parts` groups of about as many programs each: the largest first, each into
/// the group with the fewest so far.
fn balanced(segments: &[SegmentMeta], parts: usize) -> Vec<Vec<SegmentId>> {
    let mut by_size: Vec<&SegmentMeta> = segments.iter().collect();
    by_size.sort_by_key(|segment| std::cmp::Reverse(segment.num_docs()));
    let mut groups: Vec<(u64, Vec<SegmentId>)> = vec![(0, Vec::new()); parts.max(1)];
    for segment in by_size {
        if let Some((size, members)) = groups.iter_mut().min_by_key(|(size, _)| *size) {
            *size += u64::from(segment.num_docs());
            members.push(segment.id());
        }
    }
    groups.into_iter().map(|(_, members)| members).collect()
}

/// The reading of what a parent may type by sound: the names and the summary.
fn program_reading(reader: &dyn Reader, program: &Program) -> String {
    let content = &program.content;
    let mut text = content.name.clone();
    for extra in [content.short_name.as_deref(), Some(content.summary.as_str())]
        .into_iter()
        .flatten()
    {
        text.push('\n');
        text.push_str(extra);
    }
    reader.reading(&text)
}

fn parse_rule(eligibility: &str) -> Option<Arc<Rule>> {
    let value: serde_json::Value = serde_json::from_str(eligibility).ok()?;
    EligibilityDocument::parse(&value).ok()?.into_rule().map(Arc::new)
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex")
            .field("programs", &self.len())
            .field("manifest", &self.manifest())
            .finish_non_exhaustive()
    }
}

/// The [`Manifest`] kept in the index's last commit payload, if any.
pub fn manifest_of(index: &Index) -> Result<Option<Manifest>, SearchError> {
    let metas = index.load_metas()?;
    Ok(metas
        .payload
        .and_then(|payload| serde_json::from_str(&payload).ok()))
}

/// The index in `directory` if it exists and was built with the wanted schema and dictionary.
/// An outdated one is cleared, unless another process is writing it.
pub fn open_existing(directory: &Path, wanted: &Manifest) -> Result<Option<Index>, SearchError> {
    let mmap = MmapDirectory::open(directory)?;
    if !Index::exists(&mmap).map_err(|error| SearchError::Index(error.into()))? {
        return Ok(None);
    }
    let index = match Index::open(mmap) {
        Ok(index) => index,
        Err(_) => return clear_directory(directory).map(|()| None),
    };
    let matches = manifest_of(&index)?.is_some_and(|found| {
        found.schema_version == wanted.schema_version
            && found.analyzer == wanted.analyzer
            && found.reading_dictionary == wanted.reading_dictionary
    });
    if matches {
        return Ok(Some(index));
    }
    // Holding the writer lock while deciding keeps us from deleting a live index's files.
    drop(
        index
            .writer::<TantivyDocument>(WRITER_MEMORY)
            .map_err(lock_error)?,
    );
    clear_directory(directory).map(|()| None)
}

fn lock_error(error: tantivy::TantivyError) -> SearchError {
    match error {
        tantivy::TantivyError::LockFailure(..) => SearchError::Locked,
        other => SearchError::Index(other),
    }
}

/// Removes an outdated index's files; the directory holds nothing else.
fn clear_directory(directory: &Path) -> Result<(), SearchError> {
    let io = |source| SearchError::Directory {
        path: directory.to_owned(),
        source,
    };
    for entry in std::fs::read_dir(directory).map_err(io)? {
        let path = entry.map_err(io)?.path();
        let removed = match path.is_dir() {
            true => std::fs::remove_dir_all(&path),
            false => std::fs::remove_file(&path),
        };
        removed.map_err(io)?;
    }
    Ok(())
}
