//! One of every cause, each variant in each of its shapes, for tests that must cover them all
//! (the catalogue test: every cause's words are in every language).

use crate::microsoft::{Registration, Resource};
use crate::status::{Cause, Unreadable};

/// Every cause, every variant with each shape its words depend on.
pub fn every_cause() -> Vec<Cause> {
    let redirect = || "https://example.chromiumapp.org/".to_owned();
    let all = vec![
        Cause::Revoked,
        Cause::DayLimitReached,
        Cause::RefreshInterrupted,
        Cause::UnusedTooLong,
        Cause::MfaRequired,
        Cause::ConsentRequired,
        Cause::SignedOut,
        Cause::BlockedByPolicy,
        Cause::AppNotRegistered,
        Cause::RegistrationMismatch {
            registered_as: Registration::Spa,
            redirect: redirect(),
        },
        Cause::RegistrationMismatch {
            registered_as: Registration::PublicClient,
            redirect: redirect(),
        },
        Cause::PolicyExpired,
        Cause::InactiveUser,
        Cause::InactiveOrg,
        Cause::ApprovalRemoved,
        Cause::IpRestricted,
        Cause::AppBlocked {
            org: Some("00D000000000001".into()),
        },
        Cause::AppBlocked { org: None },
        Cause::AppNotInstalled {
            org: Some("00D000000000001".into()),
        },
        Cause::AppNotInstalled { org: None },
        Cause::NotAdminApproved,
        Cause::UserInfoRefused {
            missing_scope: true,
        },
        Cause::UserInfoRefused {
            missing_scope: false,
        },
        Cause::ConsumerKeyUnknown,
        Cause::RedirectMismatch {
            redirect: redirect(),
        },
        Cause::RefreshRejected {
            detail: Some("invalid_grant: token revoked".into()),
        },
        Cause::RefreshRejected { detail: None },
        Cause::PasswordExpired,
        Cause::SignInFrequency,
        Cause::UserNotAssigned,
        Cause::ResourceNotInTenant,
        Cause::AppDisabled,
        Cause::DeviceNotCompliant,
        Cause::DeviceAuthRequired,
        Cause::ConsentDeclined,
        Cause::RegisteredAsWeb {
            redirect: redirect(),
        },
        Cause::SignInExpired,
        Cause::NotInTenant,
        Cause::ScopeRefused,
        Cause::PermissionWithheld {
            permission: "Mail.Read".into(),
        },
        Cause::EwsBlocked,
        Cause::ResourceDenied {
            resource: Resource::Graph,
            code: "Authorization_RequestDenied".into(),
        },
        Cause::MailboxNotFound {
            code: "MailboxNotEnabledForRESTAPI".into(),
        },
        Cause::ResourceRefused {
            resource: Resource::Exchange,
        },
        Cause::StoredDataUnreadable {
            reason: Unreadable::KeyLost,
        },
        Cause::StoredDataUnreadable {
            reason: Unreadable::Tampered,
        },
        Cause::StoredDataUnreadable {
            reason: Unreadable::UnknownFormat,
        },
        Cause::StoredDataUnreadable {
            reason: Unreadable::Missing,
        },
    ];
    for cause in &all {
        listed(cause);
    }
    all
}

/// Fails to compile when a variant is added and not listed above.
fn listed(cause: &Cause) {
    match cause {
        Cause::Revoked
        | Cause::DayLimitReached
        | Cause::RefreshInterrupted
        | Cause::UnusedTooLong
        | Cause::MfaRequired
        | Cause::ConsentRequired
        | Cause::SignedOut
        | Cause::BlockedByPolicy
        | Cause::AppNotRegistered
        | Cause::RegistrationMismatch { .. }
        | Cause::PolicyExpired
        | Cause::InactiveUser
        | Cause::InactiveOrg
        | Cause::ApprovalRemoved
        | Cause::IpRestricted
        | Cause::AppBlocked { .. }
        | Cause::AppNotInstalled { .. }
        | Cause::NotAdminApproved
        | Cause::UserInfoRefused { .. }
        | Cause::ConsumerKeyUnknown
        | Cause::RedirectMismatch { .. }
        | Cause::RefreshRejected { .. }
        | Cause::PasswordExpired
        | Cause::SignInFrequency
        | Cause::UserNotAssigned
        | Cause::ResourceNotInTenant
        | Cause::AppDisabled
        | Cause::DeviceNotCompliant
        | Cause::DeviceAuthRequired
        | Cause::ConsentDeclined
        | Cause::RegisteredAsWeb { .. }
        | Cause::SignInExpired
        | Cause::NotInTenant
        | Cause::ScopeRefused
        | Cause::PermissionWithheld { .. }
        | Cause::EwsBlocked
        | Cause::ResourceDenied { .. }
        | Cause::MailboxNotFound { .. }
        | Cause::ResourceRefused { .. }
        | Cause::StoredDataUnreadable { .. } => {}
    }
}
