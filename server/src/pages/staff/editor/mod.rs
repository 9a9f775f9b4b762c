//! The program editor: a program entered as a form, never as JSON.

mod builder;
mod form;
mod preview;
mod wording;
