//! The example community the embedded default shows (`cargo run`): a few members, two of them
//! verified experts, questions with answers, helpful marks and accepted answers, posted through
//! the same rules as a parent's posts (validation, the personal-data check, rate limits). The
//! members are accounts nobody can sign in as: their ids are random, and a sign-in finds its
//! account by the provider's subject.

use std::collections::HashMap;

use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde::Deserialize;
use uuid::Uuid;

use crate::entity::member;
use crate::error::CommunityError;
use crate::input::{AnswerInput, DisplayName, QuestionInput};
use crate::posting::Masking;
use crate::store::Community;
use crate::vocabulary::Profession;

const EXAMPLES: &str = include_str!("../seed/examples.json");

#[derive(Debug, Deserialize)]
struct Examples {
    members: Vec<ExampleMember>,
    questions: Vec<ExampleQuestion>,
}

#[derive(Debug, Deserialize)]
struct ExampleMember {
    key: String,
    display_name: String,
    expert: Option<ExampleExpert>,
}

#[derive(Debug, Deserialize)]
struct ExampleExpert {
    profession: Profession,
    organisation: String,
}

#[derive(Debug, Deserialize)]
struct ExampleQuestion {
    author: String,
    days_ago: i64,
    question: QuestionInput,
    answers: Vec<ExampleAnswer>,
}

#[derive(Debug, Deserialize)]
struct ExampleAnswer {
    author: String,
    body: String,
    #[serde(default)]
    helpful: Vec<String>,
    #[serde(default)]
    accepted: bool,
}

/// How many example questions and answers were posted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExamplesLoaded {
    pub members: usize,
    pub questions: usize,
    pub answers: usize,
}

impl Community {
    /// Posts the example community when nobody has joined yet; `None` when somebody has.
    pub async fn load_examples_if_empty(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Option<ExamplesLoaded>, CommunityError> {
        if member::Entity::find().count(self.connection()).await? > 0 {
            return Ok(None);
        }
        let examples: Examples = serde_json::from_str(EXAMPLES)
            .map_err(|error| CommunityError::Corrupt(format!("example community: {error}")))?;
        let accounts = self.join_example_members(&examples.members, now).await?;
        let mut answers = 0;
        for example in &examples.questions {
            answers += self.post_example_question(example, &accounts, now).await?;
        }
        Ok(Some(ExamplesLoaded {
            members: accounts.len(),
            questions: examples.questions.len(),
            answers,
        }))
    }

    async fn join_example_members(
        &self,
        members: &[ExampleMember],
        now: DateTime<Utc>,
    ) -> Result<HashMap<String, Uuid>, CommunityError> {
        let joined_at = now - TimeDelta::days(30);
        let mut accounts = HashMap::new();
        for example in members {
            let account = Uuid::new_v4();
            let name = DisplayName::parse(&example.display_name)?;
            self.join(account, &name, false, joined_at).await?;
            if let Some(expert) = &example.expert {
                self.request_expert(account, expert.profession, &expert.organisation, joined_at)
                    .await?;
                self.verify_expert(account, "example data", joined_at).await?;
            }
            accounts.insert(example.key.clone(), account);
        }
        Ok(accounts)
    }

    /// Posts one question and its answers an hour apart; how many answers.
    async fn post_example_question(
        &self,
        example: &ExampleQuestion,
        accounts: &HashMap<String, Uuid>,
        now: DateTime<Utc>,
    ) -> Result<usize, CommunityError> {
        let account_of = |key: &str| {
            accounts
                .get(key)
                .copied()
                .ok_or_else(|| CommunityError::Corrupt(format!("example community: no member {key}")))
        };
        let asker = account_of(&example.author)?;
        let asked_at = now - TimeDelta::days(example.days_ago);
        let question = self.ask(asker, &example.question, Masking::Ask, asked_at).await?;
        for (hours, answer) in (1..).zip(&example.answers) {
            let input = AnswerInput {
                body: answer.body.clone(),
            };
            let answered_at = asked_at + TimeDelta::hours(hours);
            let posted = self
                .answer(
                    account_of(&answer.author)?,
                    question,
                    &input,
                    Masking::Ask,
                    answered_at,
                )
                .await?;
            for reader in &answer.helpful {
                self.mark_helpful(account_of(reader)?, posted.answer, answered_at)
                    .await?;
            }
            if answer.accepted {
                self.accept(asker, posted.answer).await?;
            }
        }
        Ok(example.answers.len())
    }
}
