//! `store-checkout-seed`: creates the books and users tables unless they exist (on demand) and
//! puts the sample books and users in them, the data the in-memory stores start from.
//!
//! The tables are named by `BOOKS_TABLE` and `USERS_TABLE`, as for the functions; credentials,
//! region and endpoint (`AWS_ENDPOINT_URL_DYNAMODB` for a local DynamoDB) come from the
//! environment. Items with the sample ids are replaced, with their reservations, redemptions and
//! what was given back of them.

use std::process::ExitCode;

use store_checkout::store::dynamodb::{DynamoDbBooks, DynamoDbUsers, client_from_env, seed};
use store_checkout::store::{BOOKS_TABLE, USERS_TABLE, table_name};

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("store-checkout-seed: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let missing = |variable: &str| format!("{variable} is not set: name the table in it");
    let books_table = table_name(BOOKS_TABLE).ok_or_else(|| missing(BOOKS_TABLE))?;
    let users_table = table_name(USERS_TABLE).ok_or_else(|| missing(USERS_TABLE))?;
    let client = client_from_env().await;
    let books = DynamoDbBooks::new(client.clone(), &books_table);
    let users = DynamoDbUsers::new(client, &users_table);
    let seeded = seed(&books, &users)
        .await
        .map_err(|e| format!("seeding {books_table:?} and {users_table:?} failed: {e}"))?;
    let how = |created: bool| if created { "created" } else { "existing" };
    println!(
        "{} books into the {} table {books_table:?}, {} users into the {} table {users_table:?}",
        seeded.books,
        how(seeded.books_table_created),
        seeded.users,
        how(seeded.users_table_created),
    );
    Ok(())
}
