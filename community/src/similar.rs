//! The index of community questions, for showing similar questions before one is posted and for
//! searching them. It analyses text exactly as program search does (the search crate's
//! normalisation, two-character pieces, synonyms, question words, and IPADIC content words when
//! a dictionary is given), so that a parent who types 「夜泣きがひどい」 meets 「夜泣きで眠れません」.
//! It knows nothing of the database: whoever owns the questions feeds it and follows their
//! changes from [`QuestionIndex::watermark`], which every commit keeps in its payload.

use std::collections::HashSet;
use std::path::Path;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use kosodate_search::{
    AnalysisTokenizer, Bigrams, DEFAULT_LIGHT_VERBS, DEFAULT_STOPWORDS, DEFAULT_SYNONYMS, MAX_QUERY_CHARS,
    Manifest, Reader, SearchError, SearchQuery, Segmentation, Synonyms, TEXT_ANALYZER, TextAnalysis, Word,
    all_words, open_existing, parse_word_list, query_words,
};
use tantivy::collector::{Count, TopDocs};
use tantivy::directory::MmapDirectory;
use tantivy::query::{AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{
    DocAddress, Index, IndexReader, IndexWriter, Order, ReloadPolicy, Searcher, TantivyDocument, Term,
};
use uuid::Uuid;

use crate::CommunityError;

/// Bump when the schema or what goes into a field changes: an index built by another version is
/// emptied when opened, and `watermark` is `None` so that its owner refills it.
const QUESTION_SCHEMA_VERSION: u32 = 1;

/// Memory for the writer's indexing buffer (one index per server process).
const WRITER_MEMORY: usize = 64_000_000;

/// A question's title says what it is about; its body mostly tells the story around it.
const TITLE_WEIGHT: f32 = 3.0;
const BODY_WEIGHT: f32 = 1.0;

/// How many of a draft's words find its similar questions: its rarest ones.
const DRAFT_WORDS: usize = 5;

/// The most results one call returns.
pub const MAX_RESULTS: usize = 100;

/// A question as the index takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexedQuestion {
    pub id: Uuid,
    pub title: String,
    pub body: String,
    pub category: String,
    pub municipality: Option<String>,
    /// Hidden by moderation or removed: taken out of the index.
    pub visible: bool,
    pub updated_at: DateTime<Utc>,
}

/// A question the index found, best first.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SimilarQuestion {
    pub id: Uuid,
    /// Higher is closer; 0 when the results are listed newest first (no words to rank by).
    pub score: f32,
}

#[derive(Debug, Clone, Copy)]
struct Fields {
    id: Field,
    id_high: Field,
    id_low: Field,
    title: Field,
    body: Field,
    category: Field,
    municipality: Field,
    updated_at: Field,
}

const ID_HIGH: &str = "id_high";
const ID_LOW: &str = "id_low";
const UPDATED_AT: &str = "updated_at";

impl Fields {
    fn schema() -> (Schema, Self) {
        let text = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(TEXT_ANALYZER)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        );
        let mut builder = Schema::builder();
        // Nothing is stored: a hit is read back from the id's two fast fields alone.
        let fields = Self {
            id: builder.add_text_field("id", STRING),
            id_high: builder.add_u64_field(ID_HIGH, FAST),
            id_low: builder.add_u64_field(ID_LOW, FAST),
            title: builder.add_text_field("title", text.clone()),
            body: builder.add_text_field("body", text),
            category: builder.add_text_field("category", STRING),
            municipality: builder.add_text_field("municipality", STRING),
            updated_at: builder.add_i64_field(UPDATED_AT, INDEXED | FAST),
        };
        (builder.build(), fields)
    }

    fn id_term(&self, id: Uuid) -> Term {
        Term::from_field_text(self.id, &id.to_string())
    }

    fn document(&self, question: &IndexedQuestion) -> TantivyDocument {
        let (high, low) = question.id.as_u64_pair();
        let mut document = TantivyDocument::default();
        document.add_text(self.id, question.id.to_string());
        document.add_u64(self.id_high, high);
        document.add_u64(self.id_low, low);
        document.add_text(self.title, &question.title);
        document.add_text(self.body, &question.body);
        document.add_text(self.category, &question.category);
        if let Some(municipality) = &question.municipality {
            document.add_text(self.municipality, municipality);
        }
        document.add_i64(self.updated_at, question.updated_at.timestamp_micros());
        document
    }

    fn weighted(&self) -> [(Field, f32); 2] {
        [(self.title, TITLE_WEIGHT), (self.body, BODY_WEIGHT)]
    }
}

pub struct QuestionIndex {
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    fields: Fields,
    analysis: Arc<dyn TextAnalysis>,
    synonyms: Synonyms,
    stopwords: HashSet<String>,
    light_verbs: HashSet<String>,
    readings: Option<Arc<dyn Reader>>,
    manifest: Mutex<Manifest>,
}

impl QuestionIndex {
    /// An index in memory (tests, or a server without an index directory): fill it from the
    /// database.
    pub fn open_in_memory() -> Result<Self, CommunityError> {
        Self::open_with(None, None)
    }

    /// The index in `directory`, or an empty one there when it is missing or was built by
    /// another version (then [`QuestionIndex::watermark`] is `None`).
    pub fn open(directory: &Path) -> Result<Self, CommunityError> {
        Self::open_with(Some(directory), None)
    }

    /// [`QuestionIndex::open`] (in memory without a directory) with the IPADIC dictionary that
    /// program search reads with: parents' sentences are then cut into their content words as
    /// program search cuts them. Without it, a sentence is cut where ひらがな meets other letters.
    pub fn open_with(
        directory: Option<&Path>,
        readings: Option<Arc<dyn Reader>>,
    ) -> Result<Self, CommunityError> {
        let (schema, fields) = Fields::schema();
        let analysis: Arc<dyn TextAnalysis> = Arc::new(Bigrams);
        let wanted = Manifest {
            schema_version: QUESTION_SCHEMA_VERSION,
            analyzer: analysis.name(),
            // The dictionary changes how queries are cut, never the terms: no rebuild for it.
            reading_dictionary: None,
            watermark: None,
        };
        let (index, manifest) = match directory {
            None => (Index::create_in_ram(schema), wanted),
            Some(directory) => open_directory(directory, schema, wanted)?,
        };
        index.tokenizers().register(
            TEXT_ANALYZER,
            TextAnalyzer::from(AnalysisTokenizer(Arc::clone(&analysis))),
        );
        let writer = index.writer(WRITER_MEMORY).map_err(SearchError::from)?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(SearchError::from)?;
        Ok(Self {
            reader,
            writer: Mutex::new(writer),
            fields,
            analysis,
            synonyms: Synonyms::parse(DEFAULT_SYNONYMS).map_err(SearchError::from)?,
            stopwords: parse_word_list(DEFAULT_STOPWORDS),
            light_verbs: parse_word_list(DEFAULT_LIGHT_VERBS),
            readings,
            manifest: Mutex::new(manifest),
        })
    }

    /// Adds or replaces questions and takes out the invisible ones, then commits: they are
    /// searchable when this returns, and the watermark is the latest `updated_at` seen. Returns
    /// how many questions changed the index. A question whose version the index already holds
    /// (or that is invisible and not there) is skipped, and when nothing changes and the
    /// watermark stays, nothing is committed: the follower re-reads the last 30 s of changes at
    /// every poll, and committing those re-reads wrote a segment twice a second while nobody
    /// posted anything.
    pub fn upsert(&self, questions: &[IndexedQuestion]) -> Result<usize, CommunityError> {
        let mut writer = self.writer.lock().map_err(|_| SearchError::Poisoned)?;
        // Taken under the writer's lock, which is held until the reload: it shows every commit.
        let searcher = self.reader.searcher();
        let mut changed = 0;
        for question in questions {
            if self.holds(&searcher, question)? {
                continue;
            }
            changed += 1;
            writer.delete_term(self.fields.id_term(question.id));
            if question.visible {
                writer
                    .add_document(self.fields.document(question))
                    .map_err(SearchError::from)?;
            }
        }
        let latest = questions.iter().map(|question| question.updated_at).max();
        let mut manifest = self.manifest.lock().map_err(|_| SearchError::Poisoned)?;
        let watermark = manifest.watermark.max(latest);
        if changed == 0 && watermark == manifest.watermark {
            return Ok(0);
        }
        manifest.watermark = watermark;
        let payload = serde_json::to_string(&*manifest).map_err(|_| SearchError::Poisoned)?;
        let mut prepared = writer.prepare_commit().map_err(SearchError::from)?;
        prepared.set_payload(&payload);
        prepared.commit().map_err(SearchError::from)?;
        self.reader.reload().map_err(SearchError::from)?;
        Ok(changed)
    }

    /// Whether the index already says what `question` says: its version, or its absence.
    fn holds(&self, searcher: &Searcher, question: &IndexedQuestion) -> Result<bool, CommunityError> {
        let by_id = TermQuery::new(self.fields.id_term(question.id), IndexRecordOption::Basic);
        let versions = TopDocs::with_limit(1).order_by_fast_field::<i64>(UPDATED_AT, Order::Desc);
        let indexed = searcher
            .search(&by_id, &versions)
            .map_err(SearchError::from)?
            .first()
            .map(|(updated_at, _)| *updated_at);
        Ok(match question.visible {
            true => indexed == Some(Some(question.updated_at.timestamp_micros())),
            false => indexed.is_none(),
        })
    }

    /// The questions closest to a draft (its title, or title and body), best first: any of its
    /// words counts, whole words more than pieces of them, the title more than the body.
    pub fn similar(&self, text: &str, limit: usize) -> Result<Vec<SimilarQuestion>, CommunityError> {
        let Some(words) = self.words(text, true) else {
            return Ok(Vec::new());
        };
        let searcher = self.reader.searcher();
        let Some(query) = self.pieces_query(&searcher, &words)? else {
            return Ok(Vec::new());
        };
        // Without a count beside it, the top documents are found by block-max WAND, which skips
        // the blocks of common pieces (保育, 息子) that cannot reach the top.
        let top = page_of(limit, 0).order_by_score();
        let page = searcher.search(&*query, &top).map_err(SearchError::from)?;
        hits(&searcher, page)
    }

    /// A draft's [`DRAFT_WORDS`] rarest words as a plain union of their pieces in each field, so
    /// that a question with a whole word (all its pieces) ranks above one with some of them, and
    /// rare pieces above common ones. A draft is many words; the common ones (子供, 心配) would
    /// only add hundreds of thousands of weak matches.
    fn pieces_query(
        &self,
        searcher: &Searcher,
        words: &[Word],
    ) -> Result<Option<Box<dyn Query>>, CommunityError> {
        let mut ranked = Vec::with_capacity(words.len());
        for word in words {
            let pieces = self.pieces(word);
            let mut rarest = None;
            for (piece, _) in &pieces {
                let found = self.document_frequency(searcher, piece)?;
                if found > 0 {
                    rarest = Some(rarest.map_or(found, |rarest: u64| rarest.min(found)));
                }
            }
            // A word no question has cannot find one.
            if let Some(rarest) = rarest {
                ranked.push((rarest, pieces));
            }
        }
        ranked.sort_by_key(|(rarest, _)| *rarest);
        let mut weights: Vec<(String, f32)> = Vec::new();
        for (piece, weight) in ranked
            .into_iter()
            .take(DRAFT_WORDS)
            .flat_map(|(_, pieces)| pieces)
        {
            match weights.iter_mut().find(|(known, _)| *known == piece) {
                Some((_, known)) => *known = known.max(weight),
                None => weights.push((piece, weight)),
            }
        }
        let clauses: Vec<(Occur, Box<dyn Query>)> = weights
            .iter()
            .flat_map(|(piece, weight)| {
                self.fields
                    .weighted()
                    .into_iter()
                    .map(move |(field, field_weight)| {
                        let term = Term::from_field_text(field, piece);
                        let query = TermQuery::new(term, IndexRecordOption::WithFreqs);
                        let boosted = BoostQuery::new(Box::new(query), weight * field_weight);
                        (Occur::Should, Box::new(boosted) as Box<dyn Query>)
                    })
            })
            .collect();
        Ok((!clauses.is_empty()).then(|| Box::new(BooleanQuery::new(clauses)) as Box<dyn Query>))
    }

    /// A word's pieces with their weights, over the word and its synonyms.
    fn pieces(&self, word: &Word) -> Vec<(String, f32)> {
        word.variants
            .iter()
            .flat_map(|(variant, weight)| {
                self.analysis
                    .tokens(variant)
                    .into_iter()
                    .map(move |token| (token.text, *weight))
            })
            .collect()
    }

    /// In how many questions a piece appears, title or body.
    fn document_frequency(&self, searcher: &Searcher, piece: &str) -> Result<u64, CommunityError> {
        let mut found = 0;
        for field in [self.fields.title, self.fields.body] {
            found += searcher
                .doc_freq(&Term::from_field_text(field, piece))
                .map_err(SearchError::from)?;
        }
        Ok(found)
    }

    /// A parent's search of the questions, like program search: every word if some question
    /// has them all, otherwise some; without words, the newest first. Returns the total and
    /// the page.
    pub fn search(
        &self,
        text: &str,
        category: Option<&str>,
        limit: usize,
        offset: usize,
    ) -> Result<(usize, Vec<SimilarQuestion>), CommunityError> {
        let searcher = self.reader.searcher();
        let filter = category.map(|category| self.category_filter(category));
        let Some(words) = self.words(text, false) else {
            let everything = filtered(Box::new(AllQuery), filter);
            return results(&searcher, &*everything, (limit, offset), ResultOrder::Newest);
        };
        let fields = self.fields.weighted();
        if let Some(strict) = all_words(&*self.analysis, &fields, &words) {
            let strict = filtered(strict, filter.as_ref().map(|filter| filter.box_clone()));
            let found = results(&searcher, &*strict, (limit, offset), ResultOrder::Score)?;
            if found.0 > 0 {
                return Ok(found);
            }
        }
        // No question has every word: those with some of the rarest words' pieces, as similar
        // questions are found.
        let Some(loose) = self.pieces_query(&searcher, &words)? else {
            return Ok((0, Vec::new()));
        };
        let loose = filtered(loose, filter);
        let total = searcher.search(&*loose, &Count).map_err(SearchError::from)?;
        let page = searcher
            .search(&*loose, &page_of(limit, offset).order_by_score())
            .map_err(SearchError::from)?;
        Ok((total, hits(&searcher, page)?))
    }

    /// The latest `updated_at` the index has seen: its owner follows changes from here.
    pub fn watermark(&self) -> Option<DateTime<Utc>> {
        self.manifest
            .lock()
            .map(|manifest| manifest.watermark)
            .unwrap_or_else(|poisoned| poisoned.into_inner().watermark)
    }

    /// How many questions are searchable.
    pub fn len(&self) -> usize {
        usize::try_from(self.reader.searcher().num_docs()).unwrap_or(usize::MAX)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The words of `text`, or `None` when it has none. A draft is longer than a search: its
    /// first [`MAX_QUERY_CHARS`] characters stand for it, and without a dictionary its
    /// sentences are cut where ひらがな meets other letters (夜泣きがひどい → 夜泣).
    fn words(&self, text: &str, draft: bool) -> Option<Vec<Word>> {
        let segmentation = self.readings.as_deref().map(|reader| Segmentation {
            reader,
            light_verbs: &self.light_verbs,
        });
        let text = match (draft, segmentation.is_some()) {
            (true, false) => without_hiragana(text),
            _ => text.to_owned(),
        };
        let head: String = text.chars().take(MAX_QUERY_CHARS).collect();
        let query = SearchQuery::parse(&head).ok()?;
        let words = query_words(&query, &self.synonyms, &self.stopwords, segmentation);
        (!words.is_empty()).then_some(words)
    }

    fn category_filter(&self, category: &str) -> Box<dyn Query> {
        let term = Term::from_field_text(self.fields.category, category);
        Box::new(TermQuery::new(term, IndexRecordOption::Basic))
    }
}

/// How a page of results is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ResultOrder {
    Score,
    /// Without words to rank by.
    Newest,
}

fn results(
    searcher: &Searcher,
    query: &dyn Query,
    (limit, offset): (usize, usize),
    order: ResultOrder,
) -> Result<(usize, Vec<SimilarQuestion>), CommunityError> {
    let top = page_of(limit, offset);
    let (total, page) = match order {
        ResultOrder::Score => searcher.search(query, &(Count, top.order_by_score())),
        ResultOrder::Newest => {
            let newest = top.order_by_fast_field::<i64>(UPDATED_AT, Order::Desc);
            searcher.search(query, &(Count, newest)).map(|(total, page)| {
                let unscored = page.into_iter().map(|(_, address)| (0.0, address)).collect();
                (total, unscored)
            })
        }
    }
    .map_err(SearchError::from)?;
    Ok((total, hits(searcher, page)?))
}

fn page_of(limit: usize, offset: usize) -> TopDocs {
    TopDocs::with_limit(limit.clamp(1, MAX_RESULTS)).and_offset(offset)
}

fn hits(searcher: &Searcher, page: Vec<(f32, DocAddress)>) -> Result<Vec<SimilarQuestion>, CommunityError> {
    page.into_iter()
        .map(|(score, address)| question_id(searcher, address).map(|id| SimilarQuestion { id, score }))
        .collect()
}

fn open_directory(
    directory: &Path,
    schema: Schema,
    wanted: Manifest,
) -> Result<(Index, Manifest), CommunityError> {
    std::fs::create_dir_all(directory).map_err(|source| SearchError::Directory {
        path: directory.to_owned(),
        source,
    })?;
    if let Some(existing) = open_existing(directory, &wanted)? {
        let manifest = kosodate_search::manifest_of(&existing)?.unwrap_or(wanted);
        return Ok((existing, manifest));
    }
    let mmap = MmapDirectory::open(directory).map_err(SearchError::from)?;
    let index = Index::create(mmap, schema, tantivy::IndexSettings::default()).map_err(SearchError::from)?;
    Ok((index, wanted))
}

fn filtered(query: Box<dyn Query>, filter: Option<Box<dyn Query>>) -> Box<dyn Query> {
    match filter {
        None => query,
        // A filter does not score: the words alone rank.
        Some(filter) => Box::new(BooleanQuery::new(vec![
            (Occur::Must, query),
            (Occur::Must, Box::new(ConstScoreQuery::new(filter, 0.0))),
        ])),
    }
}

fn question_id(searcher: &Searcher, address: DocAddress) -> Result<Uuid, CommunityError> {
    let fast = searcher.segment_reader(address.segment_ord).fast_fields();
    let high = fast
        .u64(ID_HIGH)
        .map_err(SearchError::from)?
        .first(address.doc_id);
    let low = fast.u64(ID_LOW).map_err(SearchError::from)?.first(address.doc_id);
    Ok(Uuid::from_u64_pair(
        high.unwrap_or_default(),
        low.unwrap_or_default(),
    ))
}

/// The words of a sentence without a dictionary: what is written in kanji, カタカナ, letters and
/// digits, with the ひらがな between as spaces (夜泣きがひどい → 夜泣). A one-character word keeps
/// the ひらがな after it (寝ない → 寝な, 入れない → 入れ): the index holds a lone character only
/// where the text has one, so 寝 alone would find nothing.
fn without_hiragana(text: &str) -> String {
    let is_hiragana = |character: char| ('\u{3041}'..='\u{309F}').contains(&character);
    let mut words = String::with_capacity(text.len());
    let mut run = 0;
    for character in text.chars() {
        if !is_hiragana(character) {
            words.push(character);
            run = if character.is_alphanumeric() { run + 1 } else { 0 };
            continue;
        }
        if run == 1 {
            words.push(character);
        }
        if !words.ends_with(' ') {
            words.push(' ');
        }
        run = 0;
    }
    words
}

impl std::fmt::Debug for QuestionIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QuestionIndex")
            .field("questions", &self.len())
            .field("watermark", &self.watermark())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn question(number: u128, title: &str, body: &str, category: &str) -> IndexedQuestion {
        IndexedQuestion {
            id: Uuid::from_u128(number),
            title: title.to_owned(),
            body: body.to_owned(),
            category: category.to_owned(),
            municipality: Some("022012".to_owned()),
            visible: true,
            updated_at: Utc
                .timestamp_opt(1_760_000_000 + i64::try_from(number).unwrap_or_default(), 0)
                .unwrap(),
        }
    }

    fn questions() -> Vec<IndexedQuestion> {
        vec![
            question(
                1,
                "夜泣きで眠れません",
                "生後8か月の息子が毎晩2時間おきに起きます。",
                "infant",
            ),
            question(
                2,
                "保育園に入れませんでした",
                "4月入園の一次選考で落ちました。二次で入れる可能性は？",
                "childcare",
            ),
            question(
                3,
                "離乳食を食べてくれない",
                "7か月です。おかゆを嫌がります。",
                "infant",
            ),
            question(
                4,
                "児童手当の申請はいつまで",
                "引っ越したときの手続きを知りたいです。",
                "money",
            ),
            question(
                5,
                "一時預かりの使い方",
                "保育園に入れない間、一時預かりを使っている方はいますか。",
                "childcare",
            ),
            question(
                6,
                "寝かしつけのコツ",
                "夜泣きとは違いますが、なかなか寝ません。",
                "infant",
            ),
        ]
    }

    fn index() -> QuestionIndex {
        let index = QuestionIndex::open_in_memory().unwrap();
        index.upsert(&questions()).unwrap();
        index
    }

    fn ids(hits: &[SimilarQuestion]) -> Vec<u128> {
        hits.iter().map(|hit| hit.id.as_u128()).collect()
    }

    #[test]
    fn a_draft_finds_questions_that_say_it_otherwise() {
        let index = index();
        let found = ids(&index.similar("夜泣きがひどい", 5).unwrap());
        assert_eq!(found.first(), Some(&1), "{found:?}");
        let found = ids(&index.similar("保育園 入れない", 5).unwrap());
        assert_eq!(found.first(), Some(&2), "{found:?}");
        assert!(found.contains(&5), "{found:?}");
        let found = ids(&index
            .similar("ﾁｮｯﾄ心配です。娘が離乳食を全然たべない！", 5)
            .unwrap());
        assert_eq!(found.first(), Some(&3), "{found:?}");
        assert_eq!(index.similar("", 5).unwrap(), []);
        assert_eq!(index.similar("。、！", 5).unwrap(), []);
    }

    #[test]
    fn sentences_without_a_dictionary_keep_their_non_hiragana_words() {
        assert_eq!(without_hiragana("夜泣きがひどい"), "夜泣 ");
        assert_eq!(without_hiragana("寝ない子の相談"), "寝な 子の 相談");
        assert_eq!(without_hiragana("保育園 入れない"), "保育園 入れ ");
    }

    #[test]
    fn a_draft_is_searched_by_its_rarest_words() {
        let index = index();
        let words: Vec<Word> = ["保育園", "夜泣", "離乳食", "手当", "申請", "一時預", "双子"]
            .iter()
            .map(|word| Word {
                variants: vec![((*word).to_owned(), 1.0)],
            })
            .collect();
        let query = index
            .pieces_query(&index.reader.searcher(), &words)
            .unwrap()
            .expect("pieces of the rarest words");
        let mut pieces = Vec::new();
        query.query_terms(&mut |term, _| pieces.extend(term.value().as_str().map(str::to_owned)));
        for piece in ["離乳", "乳食", "手当", "申請", "保育", "育園", "夜泣"] {
            assert!(pieces.contains(&piece.to_owned()), "{piece}: {pieces:?}");
        }
        // 一時預 is as common as 保育園 and 夜泣 but comes sixth; no question has 双子.
        for piece in ["一時", "時預", "双子"] {
            assert!(!pieces.contains(&piece.to_owned()), "{piece}: {pieces:?}");
        }
    }

    #[test]
    fn a_whole_word_ranks_above_a_piece_of_it_in_the_same_field() {
        let index = index();
        index
            .upsert(&[question(
                7,
                "保育士さんへの相談",
                "保育士さんに聞きました",
                "childcare",
            )])
            .unwrap();
        let found = ids(&index.similar("保育園", 5).unwrap());
        assert_eq!(
            found,
            [2, 7, 5],
            "a piece in the title weighs more than the word in the body"
        );
    }

    #[test]
    fn search_without_a_question_with_every_word_finds_some() {
        let (total, hits) = index().search("保育園 双子", None, 10, 0).unwrap();
        assert_eq!(total, 2);
        assert_eq!(ids(&hits), [2, 5], "the title first");
        let (total, hits) = index().search("夜泣き 双子", Some("infant"), 10, 0).unwrap();
        assert_eq!((total, ids(&hits)), (2, vec![1, 6]));
        assert_eq!(index().search("双子", None, 10, 0).unwrap(), (0, Vec::new()));
    }

    #[test]
    fn the_title_weighs_more_than_the_body() {
        let found = ids(&index().similar("夜泣き", 5).unwrap());
        assert_eq!(found, [1, 6]);
    }

    #[test]
    fn search_wants_every_word_first_and_filters_by_category() {
        let index = index();
        let (total, hits) = index.search("保育園 一時預かり", None, 10, 0).unwrap();
        assert_eq!((total, ids(&hits)), (1, vec![5]));
        let (total, hits) = index.search("保育園", Some("childcare"), 1, 1).unwrap();
        assert_eq!(total, 2);
        assert_eq!(hits.len(), 1);
        let (total, _) = index.search("保育園", Some("money"), 10, 0).unwrap();
        assert_eq!(total, 0);
        let (total, hits) = index.search("", Some("infant"), 10, 0).unwrap();
        assert_eq!((total, ids(&hits)), (3, vec![6, 3, 1]), "newest first");
    }

    #[test]
    fn upserts_replace_and_hidden_questions_leave() {
        let index = index();
        let mut edited = question(1, "寝ない子の相談", "夜中に何度も起きます", "infant");
        edited.updated_at = Utc.timestamp_opt(1_770_000_000, 0).unwrap();
        let mut hidden = question(2, "保育園に入れませんでした", "", "childcare");
        hidden.visible = false;
        index.upsert(&[edited.clone(), hidden]).unwrap();
        assert_eq!(index.len(), 5);
        assert!(!ids(&index.similar("夜泣きで眠れません", 5).unwrap()).contains(&1));
        assert!(!ids(&index.similar("保育園に入れませんでした", 5).unwrap()).contains(&2));
        assert_eq!(ids(&index.similar("寝ない子", 5).unwrap()).first(), Some(&1));
        assert_eq!(index.watermark(), Some(edited.updated_at));
    }

    #[test]
    fn a_reread_of_what_the_index_holds_commits_nothing() {
        let index = index();
        let generation = || index.reader.searcher().generation().generation_id();
        let before = generation();
        let mut hidden = question(2, "保育園に入れませんでした", "", "childcare");
        hidden.visible = false;
        let mut reread = questions();
        let mut never_indexed = question(9, "もう見えない質問", "", "infant");
        never_indexed.visible = false;
        never_indexed.updated_at = reread[0].updated_at;
        reread.push(never_indexed);
        assert_eq!(
            index.upsert(&reread).unwrap(),
            0,
            "the same versions, and one never indexed"
        );
        assert_eq!(generation(), before, "no commit");
        assert_eq!(index.upsert(&[hidden.clone()]).unwrap(), 1);
        assert_ne!(generation(), before);
        let after_hiding = generation();
        assert_eq!(index.upsert(&[hidden]).unwrap(), 0, "already out of the index");
        assert_eq!(generation(), after_hiding);
        let mut edited = question(1, "寝ない子の相談", "夜中に何度も起きます", "infant");
        edited.updated_at += chrono::Duration::microseconds(1);
        assert_eq!(index.upsert(&[edited]).unwrap(), 1, "a newer version");
    }

    #[test]
    fn an_index_on_disk_keeps_its_questions_and_watermark() {
        let directory = tempfile::tempdir().unwrap();
        let watermark = {
            let index = QuestionIndex::open(directory.path()).unwrap();
            assert_eq!(index.watermark(), None);
            index.upsert(&questions()).unwrap();
            index.watermark()
        };
        let reopened = QuestionIndex::open(directory.path()).unwrap();
        assert_eq!(reopened.len(), 6);
        assert!(watermark.is_some());
        assert_eq!(reopened.watermark(), watermark);
        assert_eq!(ids(&reopened.similar("夜泣きがひどい", 1).unwrap()), [1]);
    }
}
