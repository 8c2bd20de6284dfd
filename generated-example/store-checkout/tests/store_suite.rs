//! One suite of store behaviours, written once against the [`BookStore`] and [`UserStore`]
//! traits and run on each implementation: the in-memory stores, and (feature `aws`) the
//! DynamoDB stores against a local DynamoDB API (dynalite, see `support/local_dynamodb.rs`),
//! each check on fresh tables.
//!
//! The concurrency checks run on a multi-threaded runtime, so reservations, redemptions and
//! what gives them back race for real: against the server they are concurrent requests, and only the stores' conditional
//! writes keep the stock and the points exact.

// A test fails by panicking: unwrap and expect say where.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[cfg(feature = "aws")]
#[path = "support/local_dynamodb.rs"]
// Shared with the Lambda emulator test, which uses the parts this suite does not.
#[allow(dead_code)]
mod local_dynamodb;

use std::future::Future;

use store_checkout::functions::{
    redeem_points, restore_quantity, restore_redeem_points, sqs_worker,
};
use store_checkout::generated::functions::{
    RedeemPoints, RestoreQuantity, RestoreRedeemPoints, SqsWorker,
};
use store_checkout::generated::types::{
    BilledTotal, OrderState, RedeemPointsInput, RestoreQuantityInput, RestoreQuantityOutput,
    RestoreRedeemPointsInput, SqsWorkerInput, TotalToRedeem,
};
use store_checkout::store::{
    Book, BookStore, InMemoryCouriers, Redemption, Release, Restoration, StoreError, User,
    UserStore, sample_books, sample_users,
};

/// Runs every check, each on stores that `make` fills with the books and users given.
async fn suite<B, U, F>(make: impl Fn(Vec<Book>, Vec<User>) -> F)
where
    B: BookStore + Clone,
    U: UserStore + Clone,
    F: Future<Output = (B, U)>,
{
    let seeded = || make(sample_books(), sample_users());
    let (books, users) = seeded().await;
    the_seed_data_reads_back(&books, &users).await;
    let (books, _) = seeded().await;
    reserve_is_idempotent_per_reservation_id(&books).await;
    let (books, _) = seeded().await;
    reserve_never_takes_more_than_the_stock(&books).await;
    let (books, users) = seeded().await;
    unknown_books_and_users_are_not_found(&books, &users).await;
    let (books, _) = seeded().await;
    a_release_gives_back_what_was_reserved(&books).await;
    let (books, _) = seeded().await;
    without_a_reservation_nothing_is_released(&books).await;
    let (books, _) = seeded().await;
    a_retried_release_applies_once(&books).await;
    let whole_stock = Book {
        book_id: "whole-stock".into(),
        title: "As many copies as a u64 counts".into(),
        quantity: u64::MAX,
        price: 1.0,
    };
    let (books, _) = make(vec![whole_stock], Vec::new()).await;
    the_largest_reservation_comes_back_exactly(&books).await;
    let (books, _) = seeded().await;
    restore_quantity_gives_back_what_the_worker_reserved(&books).await;
    let (books, _) = seeded().await;
    a_retried_restore_quantity_invocation_restores_once(&books).await;
    let (_, users) = seeded().await;
    redeem_points_below_takes_all_points_or_none(&users).await;
    let (_, users) = seeded().await;
    redemption_and_restoration_are_once_per_id(&users).await;
    let (_, users) = seeded().await;
    a_restoration_gives_back_what_was_recorded(&users).await;
    let (_, users) = seeded().await;
    without_a_recorded_redemption_nothing_is_restored(&users).await;
    let fractional = User {
        user_id: "fractional".into(),
        points: FRACTIONAL,
        has_payment_method: true,
    };
    let (_, users) = make(Vec::new(), vec![fractional]).await;
    fractional_points_come_back_exactly(&users).await;
    let (_, users) = seeded().await;
    restore_redeem_points_gives_back_the_recorded_points_not_the_inputs(&users).await;
    let (_, users) = seeded().await;
    a_retried_redeem_points_invocation_redeems_once(&users).await;
    let (_, users) = seeded().await;
    a_retried_restore_redeem_points_invocation_restores_once(&users).await;
    let scarce = Book {
        book_id: "scarce".into(),
        title: "Seven copies left".into(),
        quantity: 7,
        price: 10.0,
    };
    let (books, _) = make(vec![scarce], Vec::new()).await;
    concurrent_reservations_never_oversell(&books).await;
    let (_, users) = seeded().await;
    concurrent_redemptions_take_the_points_once(&users).await;
    let (_, users) = seeded().await;
    concurrent_restorations_give_the_points_back_once(&users).await;
    let (books, _) = seeded().await;
    concurrent_releases_give_the_copies_back_once(&books).await;
}

async fn stock(books: &impl BookStore, book_id: &str) -> u64 {
    books.book(book_id).await.unwrap().unwrap().quantity
}

async fn points(users: &impl UserStore, user_id: &str) -> f64 {
    users.user(user_id).await.unwrap().unwrap().points
}

async fn the_seed_data_reads_back(books: &impl BookStore, users: &impl UserStore) {
    assert_eq!(
        books.book("100").await.unwrap(),
        Some(Book {
            book_id: "100".into(),
            title: "The Rust Programming Language".into(),
            quantity: 10,
            price: 39.5,
        })
    );
    assert_eq!(books.book("101").await.unwrap().unwrap().price, 45.25);
    assert_eq!(
        users.user("3").await.unwrap(),
        Some(User {
            user_id: "3".into(),
            points: 10.0,
            has_payment_method: false,
        })
    );
    assert!(users.user("1").await.unwrap().unwrap().has_payment_method);
}

async fn reserve_is_idempotent_per_reservation_id(books: &impl BookStore) {
    assert_eq!(books.reserve("token-1", "100", 2).await, Ok(8));
    assert_eq!(books.reserve("token-1", "100", 2).await, Ok(8));
    assert_eq!(books.reserve("token-2", "100", 2).await, Ok(6));
    assert_eq!(stock(books, "100").await, 6);
}

async fn reserve_never_takes_more_than_the_stock(books: &impl BookStore) {
    assert_eq!(
        books.reserve("r", "100", 11).await,
        Err(StoreError::InsufficientStock {
            book_id: "100".into(),
            available: 10,
            requested: 11
        })
    );
    assert_eq!(stock(books, "100").await, 10);
    // A failed reservation does not burn its id.
    assert_eq!(books.reserve("r", "100", 10).await, Ok(0));
    assert_eq!(
        books.reserve("r-2", "100", 1).await,
        Err(StoreError::InsufficientStock {
            book_id: "100".into(),
            available: 0,
            requested: 1
        })
    );
}

async fn unknown_books_and_users_are_not_found(books: &impl BookStore, users: &impl UserStore) {
    let not_found = || StoreError::BookNotFound("999".into());
    assert_eq!(books.book("999").await, Ok(None));
    assert_eq!(books.reserve("r", "999", 1).await, Err(not_found()));
    assert_eq!(
        books.release_reservation("r", "999").await,
        Err(not_found())
    );
    let not_found = || StoreError::UserNotFound("nobody".into());
    assert_eq!(users.user("nobody").await, Ok(None));
    assert_eq!(
        users.redeem_points_below("x", "nobody", 1.0).await,
        Err(not_found())
    );
    assert_eq!(
        users.restore_redeemed_points("x", "nobody").await,
        Err(not_found())
    );
}

async fn a_release_gives_back_what_was_reserved(books: &impl BookStore) {
    assert_eq!(books.reserve("x-1", "101", 6).await, Ok(14));
    assert_eq!(books.reserve("x-2", "101", 4).await, Ok(10));
    assert_eq!(books.reserve("x-2", "100", 1).await, Ok(9));
    assert_eq!(
        books.release_reservation("x-1", "101").await,
        Ok(Release::Released(6))
    );
    assert_eq!(stock(books, "101").await, 16);
    assert_eq!(
        books.release_reservation("x-2", "101").await,
        Ok(Release::Released(4))
    );
    assert_eq!(stock(books, "101").await, 20);
    // x-2's reservation of the other book is still there, and its own to release.
    assert_eq!(stock(books, "100").await, 9);
    assert_eq!(
        books.release_reservation("x-2", "100").await,
        Ok(Release::Released(1))
    );
    assert_eq!(stock(books, "100").await, 10);
}

async fn without_a_reservation_nothing_is_released(books: &impl BookStore) {
    // No reservation under the id: the worker never reserved for that execution.
    assert_eq!(
        books.release_reservation("never-reserved", "100").await,
        Ok(Release::NothingReserved)
    );
    assert_eq!(stock(books, "100").await, 10);
    // A reservation refused for want of stock took nothing.
    assert!(books.reserve("refused", "100", 11).await.is_err());
    assert_eq!(
        books.release_reservation("refused", "100").await,
        Ok(Release::NothingReserved)
    );
    assert_eq!(stock(books, "100").await, 10);
    // The copies another id reserved are that id's to give back; so are the id's copies of
    // another book.
    assert_eq!(books.reserve("taken", "100", 3).await, Ok(7));
    assert_eq!(
        books.release_reservation("not-taken", "100").await,
        Ok(Release::NothingReserved)
    );
    assert_eq!(
        books.release_reservation("taken", "101").await,
        Ok(Release::NothingReserved)
    );
    assert_eq!(stock(books, "100").await, 7);
    assert_eq!(stock(books, "101").await, 20);
    // A release tried before its reservation does not block it.
    assert_eq!(
        books.release_reservation("late", "101").await,
        Ok(Release::NothingReserved)
    );
    assert_eq!(books.reserve("late", "101", 2).await, Ok(18));
    assert_eq!(
        books.release_reservation("late", "101").await,
        Ok(Release::Released(2))
    );
    assert_eq!(stock(books, "101").await, 20);
}

async fn a_retried_release_applies_once(books: &impl BookStore) {
    assert_eq!(books.reserve("x-1", "100", 4).await, Ok(6));
    assert_eq!(
        books.release_reservation("x-1", "100").await,
        Ok(Release::Released(4))
    );
    for _ in 0..2 {
        assert_eq!(
            books.release_reservation("x-1", "100").await,
            Ok(Release::AlreadyReleased(4))
        );
    }
    assert_eq!(stock(books, "100").await, 10);
    // The message redelivered after the release reserves nothing again.
    assert_eq!(books.reserve("x-1", "100", 4).await, Ok(10));
    assert_eq!(stock(books, "100").await, 10);
}

/// On stores holding one book with `u64::MAX` copies: the largest count goes out and comes back
/// exactly (DynamoDB numbers have 38 digits; an `f64` would round it).
async fn the_largest_reservation_comes_back_exactly(books: &impl BookStore) {
    assert_eq!(books.reserve("x-1", "whole-stock", u64::MAX).await, Ok(0));
    assert_eq!(
        books.release_reservation("x-1", "whole-stock").await,
        Ok(Release::Released(u64::MAX))
    );
    assert_eq!(stock(books, "whole-stock").await, u64::MAX);
    assert_eq!(
        books.release_reservation("x-1", "whole-stock").await,
        Ok(Release::AlreadyReleased(u64::MAX))
    );
    assert_eq!(stock(books, "whole-stock").await, u64::MAX);
}

/// PrepareOrder's message of execution [`EXECUTION`] ordering `quantity` copies of `book_id`.
fn courier_request(token: &str, book_id: &str, quantity: u64) -> SqsWorkerInput {
    SqsWorkerInput {
        input: OrderState {
            book_id: book_id.into(),
            quantity,
        },
        token: token.into(),
        execution_id: EXECUTION.into(),
    }
}

fn restore_quantity_input(book_id: &str) -> RestoreQuantityInput {
    RestoreQuantityInput {
        book_id: book_id.into(),
        execution_id: EXECUTION.into(),
    }
}

async fn restore_quantity_gives_back_what_the_worker_reserved<B: BookStore + Clone>(books: &B) {
    let worker = sqs_worker::Handler::new(books.clone(), InMemoryCouriers::seeded());
    let restore = restore_quantity::Handler::new(books.clone());
    // 6 copies are more than a courier takes: reserved, then NoCourierAvailable.
    let error = worker
        .sqs_worker(courier_request("token-1", "101", 6))
        .await
        .unwrap_err();
    assert_eq!(
        orderflow_runtime::StepError::error_type(&error),
        "NoCourierAvailable"
    );
    assert_eq!(stock(books, "101").await, 14);
    assert_eq!(
        restore
            .restore_quantity(restore_quantity_input("101"))
            .await,
        Ok(RestoreQuantityOutput::QuantityRestored)
    );
    assert_eq!(stock(books, "101").await, 20);
    // Nothing reserved from book 100 under the execution: nothing changes, and the compensation
    // still succeeds; an unknown book too.
    assert_eq!(
        restore
            .restore_quantity(restore_quantity_input("100"))
            .await,
        Ok(RestoreQuantityOutput::QuantityRestored)
    );
    assert_eq!(stock(books, "100").await, 10);
    assert_eq!(
        restore
            .restore_quantity(restore_quantity_input("999"))
            .await,
        Ok(RestoreQuantityOutput::QuantityRestored)
    );
}

async fn a_retried_restore_quantity_invocation_restores_once<B: BookStore + Clone>(books: &B) {
    let worker = sqs_worker::Handler::new(books.clone(), InMemoryCouriers::seeded());
    let restore = restore_quantity::Handler::new(books.clone());
    // The message is delivered twice (the second time with the token of a PrepareOrder run
    // again): one reservation.
    worker
        .sqs_worker(courier_request("token-1", "101", 6))
        .await
        .unwrap_err();
    worker
        .sqs_worker(courier_request("token-2", "101", 6))
        .await
        .unwrap_err();
    assert_eq!(stock(books, "101").await, 14);
    // Lambda retries restoreQuantity (its response was lost): the copies come back once.
    for _ in 0..3 {
        restore
            .restore_quantity(restore_quantity_input("101"))
            .await
            .unwrap();
    }
    assert_eq!(stock(books, "101").await, 20);
}

async fn redeem_points_below_takes_all_points_or_none(users: &impl UserStore) {
    assert_eq!(
        users.redeem_points_below("x-1", "2", 79.0).await,
        Ok(Redemption::Refused(500.0))
    );
    assert_eq!(points(users, "2").await, 500.0);
    assert_eq!(
        users.redeem_points_below("x-2", "1", 79.0).await,
        Ok(Redemption::Redeemed(20.0))
    );
    assert_eq!(points(users, "1").await, 0.0);
    // Equal is not below.
    assert_eq!(
        users.redeem_points_below("x-3", "3", 10.0).await,
        Ok(Redemption::Refused(10.0))
    );
    assert_eq!(points(users, "3").await, 10.0);
}

async fn redemption_and_restoration_are_once_per_id(users: &impl UserStore) {
    assert_eq!(
        users.redeem_points_below("x-1", "1", 79.0).await,
        Ok(Redemption::Redeemed(20.0))
    );
    assert_eq!(
        users.restore_redeemed_points("x-1", "1").await,
        Ok(Restoration::Restored(20.0))
    );
    // The retry answers as the first call did, though the user has points again by now.
    assert_eq!(
        users.redeem_points_below("x-1", "1", 79.0).await,
        Ok(Redemption::Redeemed(20.0))
    );
    assert_eq!(points(users, "1").await, 20.0);
    // A retried restoration gives nothing more.
    assert_eq!(
        users.restore_redeemed_points("x-1", "1").await,
        Ok(Restoration::AlreadyRestored(20.0))
    );
    assert_eq!(points(users, "1").await, 20.0);
    // A refusal is remembered too.
    assert_eq!(
        users.redeem_points_below("x-2", "2", 79.0).await,
        Ok(Redemption::Refused(500.0))
    );
    assert_eq!(
        users.redeem_points_below("x-2", "2", 1000.0).await,
        Ok(Redemption::Refused(500.0))
    );
    assert_eq!(points(users, "2").await, 500.0);
}

async fn a_restoration_gives_back_what_was_recorded(users: &impl UserStore) {
    // User 3 has 10 points: the redemption records 10.
    assert_eq!(
        users.redeem_points_below("x-1", "3", 79.0).await,
        Ok(Redemption::Redeemed(10.0))
    );
    // Another execution redeems the 0 points left, and restores its 0.
    assert_eq!(
        users.redeem_points_below("x-2", "3", 79.0).await,
        Ok(Redemption::Redeemed(0.0))
    );
    assert_eq!(
        users.restore_redeemed_points("x-2", "3").await,
        Ok(Restoration::Restored(0.0))
    );
    assert_eq!(points(users, "3").await, 0.0);
    assert_eq!(
        users.restore_redeemed_points("x-1", "3").await,
        Ok(Restoration::Restored(10.0))
    );
    assert_eq!(points(users, "3").await, 10.0);
}

/// On stores holding one user with [`FRACTIONAL`] points.
async fn fractional_points_come_back_exactly(users: &impl UserStore) {
    assert_eq!(
        users.redeem_points_below("x-1", "fractional", 79.0).await,
        Ok(Redemption::Redeemed(FRACTIONAL))
    );
    assert_eq!(points(users, "fractional").await, 0.0);
    assert_eq!(
        users.restore_redeemed_points("x-1", "fractional").await,
        Ok(Restoration::Restored(FRACTIONAL))
    );
    assert_eq!(points(users, "fractional").await, FRACTIONAL);
}

async fn without_a_recorded_redemption_nothing_is_restored(users: &impl UserStore) {
    // No redemption under the id: redeemPoints never ran for that execution.
    assert_eq!(
        users.restore_redeemed_points("never-redeemed", "1").await,
        Ok(Restoration::NothingRedeemed)
    );
    assert_eq!(points(users, "1").await, 20.0);
    // A refused redemption took nothing.
    assert_eq!(
        users.redeem_points_below("refused", "2", 79.0).await,
        Ok(Redemption::Refused(500.0))
    );
    assert_eq!(
        users.restore_redeemed_points("refused", "2").await,
        Ok(Restoration::NothingRedeemed)
    );
    assert_eq!(points(users, "2").await, 500.0);
    // The points another id redeemed are that id's to give back.
    assert_eq!(
        users.redeem_points_below("taken", "3", 79.0).await,
        Ok(Redemption::Redeemed(10.0))
    );
    assert_eq!(
        users.restore_redeemed_points("not-taken", "3").await,
        Ok(Restoration::NothingRedeemed)
    );
    assert_eq!(points(users, "3").await, 0.0);
    // A restoration tried before its redemption does not block it.
    assert_eq!(
        users.restore_redeemed_points("late", "1").await,
        Ok(Restoration::NothingRedeemed)
    );
    assert_eq!(
        users.redeem_points_below("late", "1", 79.0).await,
        Ok(Redemption::Redeemed(20.0))
    );
    assert_eq!(
        users.restore_redeemed_points("late", "1").await,
        Ok(Restoration::Restored(20.0))
    );
    assert_eq!(points(users, "1").await, 20.0);
}

/// Points with no short decimal form (0.1 + 0.2).
const FRACTIONAL: f64 = 0.300_000_000_000_000_04;

const EXECUTION: &str = "arn:aws:states:us-east-1:123456789012:execution:StoreCheckout:retried";

async fn a_retried_redeem_points_invocation_redeems_once<U: UserStore + Clone>(users: &U) {
    let handler = redeem_points::Handler::new(users.clone());
    let input = || RedeemPointsInput {
        user_id: "1".into(),
        total: TotalToRedeem { total: 79.0 },
        execution_id: EXECUTION.into(),
    };
    let first = handler.redeem_points(input()).await.unwrap();
    assert_eq!((first.total, first.points), (59.0, 20.0));
    // The user has points again between the attempts: the retry must not take them.
    assert_eq!(
        users.restore_redeemed_points(EXECUTION, "1").await,
        Ok(Restoration::Restored(20.0))
    );
    let retried = handler.redeem_points(input()).await.unwrap();
    assert_eq!(retried, first);
    assert_eq!(points(users, "1").await, 20.0);
}

async fn a_retried_restore_redeem_points_invocation_restores_once<U: UserStore + Clone>(users: &U) {
    users
        .redeem_points_below(EXECUTION, "3", 79.0)
        .await
        .unwrap();
    assert_eq!(points(users, "3").await, 0.0);
    let handler = restore_redeem_points::Handler::new(users.clone());
    let input = || RestoreRedeemPointsInput {
        user_id: "3".into(),
        total: BilledTotal {
            total: 69.0,
            points: Some(10.0),
        },
        execution_id: EXECUTION.into(),
    };
    handler.restore_redeem_points(input()).await.unwrap();
    handler.restore_redeem_points(input()).await.unwrap();
    assert_eq!(points(users, "3").await, 10.0);
}

async fn restore_redeem_points_gives_back_the_recorded_points_not_the_inputs<
    U: UserStore + Clone,
>(
    users: &U,
) {
    let handler = restore_redeem_points::Handler::new(users.clone());
    let input = |user_id: &str, points: Option<f64>| RestoreRedeemPointsInput {
        user_id: user_id.into(),
        total: BilledTotal {
            total: 69.0,
            points,
        },
        execution_id: EXECUTION.into(),
    };
    // Redeemed 20; the state claims 500.
    users
        .redeem_points_below(EXECUTION, "1", 79.0)
        .await
        .unwrap();
    handler
        .restore_redeem_points(input("1", Some(500.0)))
        .await
        .unwrap();
    assert_eq!(points(users, "1").await, 20.0);
    // Never redeemed under this execution: the state's points are not given.
    handler
        .restore_redeem_points(input("3", Some(10.0)))
        .await
        .unwrap();
    assert_eq!(points(users, "3").await, 10.0);
    // Refused: nothing was taken, nothing is given.
    users
        .redeem_points_below(EXECUTION, "2", 79.0)
        .await
        .unwrap();
    handler
        .restore_redeem_points(input("2", Some(500.0)))
        .await
        .unwrap();
    assert_eq!(points(users, "2").await, 500.0);
    // An unknown user has nothing to give back: the compensation still succeeds.
    handler
        .restore_redeem_points(input("nobody", Some(1.0)))
        .await
        .unwrap();
}

async fn concurrent_reservations_never_oversell<B: BookStore + Clone>(books: &B) {
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let books = books.clone();
            tokio::spawn(async move { books.reserve(&format!("order-{i}"), "scarce", 1).await })
        })
        .collect();
    let (mut reserved, mut refused) = (0, 0);
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => reserved += 1,
            Err(StoreError::InsufficientStock { .. }) => refused += 1,
            Err(e) => panic!("a reservation failed otherwise: {e}"),
        }
    }
    assert_eq!((reserved, refused), (7, 13));
    assert_eq!(stock(books, "scarce").await, 0);
}

async fn concurrent_redemptions_take_the_points_once<U: UserStore + Clone>(users: &U) {
    let tasks: Vec<_> = (0..10)
        .map(|i| {
            let users = users.clone();
            tokio::spawn(async move {
                users
                    .redeem_points_below(&format!("execution-{i}"), "1", 79.0)
                    .await
            })
        })
        .collect();
    let mut taken = Vec::new();
    for task in tasks {
        match task.await.unwrap() {
            Ok(Redemption::Redeemed(points)) => taken.push(points),
            other => panic!("every redemption is below the limit: {other:?}"),
        }
    }
    taken.sort_by(f64::total_cmp);
    // One execution takes the 20 points; the others find none left.
    let mut expected = vec![0.0; 9];
    expected.push(20.0);
    assert_eq!(taken, expected);
    assert_eq!(points(users, "1").await, 0.0);
}

async fn concurrent_restorations_give_the_points_back_once<U: UserStore + Clone>(users: &U) {
    assert_eq!(
        users.redeem_points_below(EXECUTION, "1", 79.0).await,
        Ok(Redemption::Redeemed(20.0))
    );
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let users = users.clone();
            tokio::spawn(async move { users.restore_redeemed_points(EXECUTION, "1").await })
        })
        .collect();
    let (mut restored, mut already) = (0, 0);
    for task in tasks {
        match task.await.unwrap() {
            Ok(Restoration::Restored(20.0)) => restored += 1,
            Ok(Restoration::AlreadyRestored(20.0)) => already += 1,
            other => panic!("every restoration finds the redemption of 20: {other:?}"),
        }
    }
    assert_eq!((restored, already), (1, 9));
    assert_eq!(points(users, "1").await, 20.0);
}

async fn concurrent_releases_give_the_copies_back_once<B: BookStore + Clone>(books: &B) {
    assert_eq!(books.reserve(EXECUTION, "100", 3).await, Ok(7));
    // Another execution's reservation and release race with them.
    assert_eq!(books.reserve("other", "100", 2).await, Ok(5));
    let mut tasks: Vec<_> = (0..10)
        .map(|_| {
            let books = books.clone();
            tokio::spawn(async move { books.release_reservation(EXECUTION, "100").await })
        })
        .collect();
    let other = {
        let books = books.clone();
        tokio::spawn(async move { books.release_reservation("other", "100").await })
    };
    let (mut released, mut already) = (0, 0);
    for task in tasks.drain(..) {
        match task.await.unwrap() {
            Ok(Release::Released(3)) => released += 1,
            Ok(Release::AlreadyReleased(3)) => already += 1,
            other => panic!("every release finds the reservation of 3: {other:?}"),
        }
    }
    assert_eq!(other.await.unwrap(), Ok(Release::Released(2)));
    assert_eq!((released, already), (1, 9));
    assert_eq!(stock(books, "100").await, 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn in_memory_stores() {
    use store_checkout::store::{InMemoryBooks, InMemoryUsers};
    suite(|books, users| async { (InMemoryBooks::new(books), InMemoryUsers::new(users)) }).await;
}

#[cfg(feature = "aws")]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dynamodb_stores() {
    use local_dynamodb::{LocalDynamoDb, unique_table};
    use store_checkout::store::{DynamoDbBooks, DynamoDbUsers};
    let Some(server) = LocalDynamoDb::start() else {
        return;
    };
    let client = server.client();
    suite(|books, users| {
        let client = client.clone();
        async move {
            let book_store = DynamoDbBooks::new(client.clone(), unique_table("books"));
            let user_store = DynamoDbUsers::new(client, unique_table("users"));
            assert!(book_store.create_table().await.unwrap());
            assert!(user_store.create_table().await.unwrap());
            for book in &books {
                book_store.put_book(book).await.unwrap();
            }
            for user in &users {
                user_store.put_user(user).await.unwrap();
            }
            (book_store, user_store)
        }
    })
    .await;
}
