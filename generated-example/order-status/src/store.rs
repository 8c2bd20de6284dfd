//! The state the order-status functions read and write, behind small traits: stock
//! ([`Inventory`]), payments ([`PaymentGateway`]) and order statuses ([`OrderStore`]).
//!
//! The in-memory implementations start from the seed data of
//! `definitions/order-status/examples/README.md`: order "20001" is out of stock, order "30001"'s
//! payment is declined, every other order is in stock and paid. Clones share their data.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::generated::types::UpdateOrderStatusOutputStatus;

/// An order's status as [`OrderStore`] records it (the generated enum of the output schema).
pub type OrderStatus = UpdateOrderStatusOutputStatus;

/// A storage operation failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreError {
    /// A writer panicked while holding the store's lock, so its data may be half-updated.
    Poisoned(&'static str),
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Poisoned(store) => write!(
                f,
                "the {store} store is unavailable: a writer panicked while holding its lock"
            ),
        }
    }
}

impl std::error::Error for StoreError {}

impl StoreError {
    /// The ASL error name a function reports this error with (through its `Other` variant; see
    /// [`crate::errors`]).
    pub fn error_type(&self) -> &'static str {
        match self {
            Self::Poisoned(_) => "StoreUnavailable",
        }
    }
}

/// Whether orders' items are in stock.
pub trait Inventory: Send + Sync + 'static {
    /// Whether all of the order's items are in stock.
    fn in_stock(&self, order_id: &str) -> impl Future<Output = Result<bool, StoreError>> + Send;
}

/// Takes payments.
pub trait PaymentGateway: Send + Sync + 'static {
    /// Charges the order and reports whether the payment went through. Idempotent per order: a
    /// second charge of the same order returns the first outcome without charging again.
    fn charge(&self, order_id: &str) -> impl Future<Output = Result<bool, StoreError>> + Send;
}

/// Order statuses.
pub trait OrderStore: Send + Sync + 'static {
    /// Records the order's status, replacing any earlier one.
    fn set_status(
        &self,
        order_id: &str,
        status: OrderStatus,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The order's recorded status, if any.
    fn status(
        &self,
        order_id: &str,
    ) -> impl Future<Output = Result<Option<OrderStatus>, StoreError>> + Send;
}

/// Locks `mutex`, or reports the store as unavailable when a writer panicked while holding it.
fn lock<'a, T>(mutex: &'a Mutex<T>, store: &'static str) -> Result<MutexGuard<'a, T>, StoreError> {
    mutex.lock().map_err(|_| StoreError::Poisoned(store))
}

/// Panics while holding `mutex`, leaving it poisoned (for the tests of the poisoned path).
#[cfg(test)]
fn poison<T: Send + 'static>(mutex: Arc<Mutex<T>>) {
    let _ = std::thread::spawn(move || {
        let _guard = mutex.lock();
        panic!("poisoning the store on purpose");
    })
    .join();
}

/// An in-memory [`Inventory`]: every order is in stock except the listed ones.
#[derive(Debug, Clone, Default)]
pub struct InMemoryInventory {
    out_of_stock: Arc<HashSet<String>>,
}

impl InMemoryInventory {
    /// Every order in stock except `out_of_stock`.
    pub fn new(out_of_stock: impl IntoIterator<Item = String>) -> Self {
        Self {
            out_of_stock: Arc::new(out_of_stock.into_iter().collect()),
        }
    }

    /// The seed data: order "20001" is out of stock.
    pub fn seeded() -> Self {
        Self::new(["20001".to_owned()])
    }
}

impl Inventory for InMemoryInventory {
    async fn in_stock(&self, order_id: &str) -> Result<bool, StoreError> {
        Ok(!self.out_of_stock.contains(order_id))
    }
}

/// A simulated [`PaymentGateway`]: declines the listed orders, accepts every other, and records
/// each order's outcome.
#[derive(Debug, Clone, Default)]
pub struct SimulatedPayments {
    declined: Arc<HashSet<String>>,
    charges: Arc<Mutex<HashMap<String, bool>>>,
}

impl SimulatedPayments {
    /// Payments that decline `declined` and accept the rest.
    pub fn new(declined: impl IntoIterator<Item = String>) -> Self {
        Self {
            declined: Arc::new(declined.into_iter().collect()),
            charges: Arc::default(),
        }
    }

    /// The seed data: order "30001"'s payment is declined.
    pub fn seeded() -> Self {
        Self::new(["30001".to_owned()])
    }

    /// The outcome of the order's charge, if it was charged.
    ///
    /// # Errors
    ///
    /// [`StoreError::Poisoned`].
    pub fn charged(&self, order_id: &str) -> Result<Option<bool>, StoreError> {
        Ok(lock(&self.charges, "payments")?.get(order_id).copied())
    }

    #[cfg(test)]
    pub(crate) fn poison(&self) {
        poison(Arc::clone(&self.charges));
    }
}

impl PaymentGateway for SimulatedPayments {
    async fn charge(&self, order_id: &str) -> Result<bool, StoreError> {
        let mut charges = lock(&self.charges, "payments")?;
        let accepted = !self.declined.contains(order_id);
        Ok(*charges.entry(order_id.to_owned()).or_insert(accepted))
    }
}

/// An in-memory [`OrderStore`], empty at first.
#[derive(Debug, Clone, Default)]
pub struct InMemoryOrders {
    statuses: Arc<Mutex<HashMap<String, OrderStatus>>>,
}

impl InMemoryOrders {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    #[cfg(test)]
    pub(crate) fn poison(&self) {
        poison(Arc::clone(&self.statuses));
    }
}

impl OrderStore for InMemoryOrders {
    async fn set_status(&self, order_id: &str, status: OrderStatus) -> Result<(), StoreError> {
        lock(&self.statuses, "orders")?.insert(order_id.to_owned(), status);
        Ok(())
    }

    async fn status(&self, order_id: &str) -> Result<Option<OrderStatus>, StoreError> {
        Ok(lock(&self.statuses, "orders")?.get(order_id).copied())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn seeded_inventory_and_payments_match_the_examples() {
        let inventory = InMemoryInventory::seeded();
        assert!(inventory.in_stock("12345").await.unwrap());
        assert!(!inventory.in_stock("20001").await.unwrap());
        let payments = SimulatedPayments::seeded();
        assert!(payments.charge("12345").await.unwrap());
        assert!(!payments.charge("30001").await.unwrap());
        assert_eq!(payments.charged("12345"), Ok(Some(true)));
        assert_eq!(payments.charged("99999"), Ok(None));
    }

    #[tokio::test]
    async fn orders_record_the_latest_status_and_clones_share_it() {
        let orders = InMemoryOrders::new();
        assert_eq!(orders.status("1").await, Ok(None));
        orders
            .clone()
            .set_status("1", OrderStatus::Failed)
            .await
            .unwrap();
        orders
            .set_status("1", OrderStatus::Confirmed)
            .await
            .unwrap();
        assert_eq!(orders.status("1").await, Ok(Some(OrderStatus::Confirmed)));
    }

    #[tokio::test]
    async fn a_poisoned_store_is_unavailable_rather_than_a_panic() {
        let orders = InMemoryOrders::new();
        orders.poison();
        let err = orders.status("1").await.unwrap_err();
        assert_eq!(err, StoreError::Poisoned("orders"));
        assert_eq!(err.error_type(), "StoreUnavailable");
    }
}
