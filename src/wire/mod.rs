//! The REST contract: one Rust type per JSON object the edges speak,
//! converted from its proto message in one place (`From<&pb::X>`).
//!
//! Both edges render these types, core builds its IPN payloads from them,
//! and the OpenAPI document is generated from their schema derives, so the
//! JSON of an object cannot differ between a response, an IPN and the
//! document that describes them.

mod customers;
mod identity;
mod objects;
mod portal;
mod providers;
mod reports;
mod requests;
mod subscriptions;

pub use customers::*;
pub use identity::*;
pub use objects::*;
pub use portal::*;
pub use providers::*;
pub use reports::*;
pub use requests::*;
use serde::{Deserialize, Serialize};
pub use subscriptions::*;
use utoipa::ToSchema;

use crate::proto::v1 as pb;

/// Proto has no null string: an empty string is an absent value, `null` in
/// JSON.
pub(crate) fn non_empty(value: &str) -> Option<String> {
    (!value.is_empty()).then(|| value.to_owned())
}

/// [`non_empty`] for a string the caller gives up.
pub(crate) fn non_empty_owned(value: String) -> Option<String> {
    (!value.is_empty()).then_some(value)
}

pub(crate) fn time(timestamp: Option<&prost_types::Timestamp>) -> Option<String> {
    crate::http::rfc3339(timestamp)
}

/// Defines a JSON string enum mirroring a proto enum. `Unknown` stands for
/// a proto value this build does not know (a newer core during a rolling
/// upgrade); it is never accepted in a request. Each spelling is the snake
/// case of its variant: the schema derive reads `rename_all`, not a rename
/// passed through a macro.
macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident from $proto:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($variant,)+
            /// A value this version of the API does not know yet.
            Unknown,
        }

        impl $name {
            /// The spellings a request may use.
            pub const NAMES: &[&str] = &[$($text),+];

            pub fn from_pb(value: i32) -> Self {
                match pb::$proto::try_from(value) {
                    $(Ok(pb::$proto::$variant) => Self::$variant,)+
                    _ => Self::Unknown,
                }
            }

            /// The proto value of a request spelling; `None` when the
            /// spelling is not one of [`Self::NAMES`].
            pub fn parse_pb(text: &str) -> Option<pb::$proto> {
                match text {
                    $($text => Some(pb::$proto::$variant),)+
                    _ => None,
                }
            }

            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text,)+
                    Self::Unknown => "unknown",
                }
            }
        }
    };
}

wire_enum! {
    /// `open` → `processing` → `completed` | `expired` | `canceled`.
    CheckoutStatus from CheckoutStatus {
        Open => "open",
        Processing => "processing",
        Completed => "completed",
        Expired => "expired",
        Canceled => "canceled",
    }
}

wire_enum! {
    /// `pending` → `processing` → `requires_capture` | `succeeded` |
    /// `failed`; `requires_capture` → `succeeded` | `canceled`.
    TransactionStatus from TransactionStatus {
        Pending => "pending",
        Processing => "processing",
        RequiresCapture => "requires_capture",
        Succeeded => "succeeded",
        Failed => "failed",
        Canceled => "canceled",
    }
}

wire_enum! {
    RefundStatus from RefundStatus {
        Pending => "pending",
        Succeeded => "succeeded",
        Failed => "failed",
    }
}

wire_enum! {
    /// `automatic` charges at once; `manual` authorizes and waits for a
    /// capture.
    CaptureMethod from CaptureMethod {
        Automatic => "automatic",
        Manual => "manual",
    }
}

wire_enum! {
    /// `test` keys (`sk_test_…`) or `live` keys (`sk_live_…`).
    KeyMode from KeyMode {
        Test => "test",
        Live => "live",
    }
}

/// The states of an IPN delivery, as core reports them.
pub const IPN_DELIVERY_STATUSES: &[&str] = &["pending", "succeeded", "failed"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_round_trip_their_proto_values() {
        for name in TransactionStatus::NAMES {
            let proto = TransactionStatus::parse_pb(name).expect("known spelling");
            assert_eq!(TransactionStatus::from_pb(proto as i32).as_str(), *name);
            let json = serde_json::to_value(TransactionStatus::from_pb(proto as i32)).expect("serialize");
            assert_eq!(json, *name);
        }
        assert_eq!(TransactionStatus::from_pb(0), TransactionStatus::Unknown);
        assert_eq!(serde_json::to_value(TransactionStatus::Unknown).expect("serialize"), "unknown");
        assert_eq!(CaptureMethod::parse_pb("unknown"), None);
        assert_eq!(KeyMode::parse_pb("LIVE"), None);
    }

    /// The documented values are the serialised ones.
    #[test]
    fn enum_schemas_list_the_json_spellings() {
        fn documented<T: utoipa::PartialSchema>() -> serde_json::Value {
            serde_json::to_value(T::schema()).expect("schema")["enum"].clone()
        }
        fn spelled(names: &[&str]) -> serde_json::Value {
            names.iter().copied().chain(["unknown"]).collect()
        }
        assert_eq!(documented::<CheckoutStatus>(), spelled(CheckoutStatus::NAMES));
        assert_eq!(documented::<TransactionStatus>(), spelled(TransactionStatus::NAMES));
        assert_eq!(documented::<RefundStatus>(), spelled(RefundStatus::NAMES));
        assert_eq!(documented::<CaptureMethod>(), spelled(CaptureMethod::NAMES));
        assert_eq!(documented::<KeyMode>(), spelled(KeyMode::NAMES));
        for name in TransactionStatus::NAMES {
            let parsed = TransactionStatus::parse_pb(name).expect("known");
            assert_eq!(serde_json::to_value(TransactionStatus::from_pb(parsed as i32)).expect("json"), *name);
        }
    }
}
