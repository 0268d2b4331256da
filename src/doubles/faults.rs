//! The fault catalog: named deviations the double can run with, each a bug an implementer could
//! plausibly ship, with the check that exists to catch it and the cases that must.
//!
//! The detection matrix (`selftest::faults`, `docs/detection-matrix.md`) runs the whole suite
//! against the double in every fault mode and proves each fault is caught as declared, and that
//! every check of `judging::verdict::Check` is proven by at least one fault.
//!
//! The one file of the service double that names judging's checks: a fault declares what must
//! catch it. The double's behaviour (`doubles::service`) never uses judging.

use strum::IntoEnumIterator;

use crate::judging::verdict::Check;

/// One deviation of the double. Its name is its variant's, in kebab case (`Fault::iter()` walks the
/// catalog in order, so a new fault is in the detection matrix by construction).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, strum::EnumIter, strum::IntoStaticStr)]
#[strum(serialize_all = "kebab-case")]
pub enum Fault {
    /// The provisioning hook answers 200 instead of 201.
    #[strum(serialize = "provision-answers-200")]
    ProvisionAnswers200,
    /// cancelMediaProcessing answers 200 instead of 202 (seeds edition).
    #[strum(serialize = "cancel-answers-200")]
    CancelAnswers200,
    /// delete answers 200 instead of 204.
    #[strum(serialize = "delete-answers-200")]
    DeleteAnswers200,
    /// updateRecordingStatus answers 202 instead of 200.
    #[strum(serialize = "recording-answers-202")]
    RecordingAnswers202,
    /// reject answers 200 instead of 202.
    #[strum(serialize = "reject-answers-200")]
    RejectAnswers200,
    /// cancelMediaProcessing sends no Location.
    CancelNoLocation,
    /// updateRecordingStatus sends no Location.
    RecordingNoLocation,
    /// Location names another call.
    LocationOtherCall,
    /// Location is a relative path.
    LocationRelative,
    /// Location points at the call, not at an operation.
    LocationIsTheCall,
    /// reject's 202 carries a body.
    RejectReturnsBody,
    /// cancelMediaProcessing's 202 carries the operation as a body.
    CancelReturnsBody,
    /// updateRecordingStatus's body is labelled text/plain.
    RecordingTextPlain,
    /// updateRecordingStatus's body is cut off mid-JSON.
    RecordingBodyTruncated,
    /// updateRecordingStatus's status is `COMPLETED`, a casing neither the documents nor the
    /// metadata use (both of theirs are conformant).
    RecordingStatusUpperCase,
    /// updateRecordingStatus's @odata.type is the base type.
    RecordingBaseOdataType,
    /// updateRecordingStatus's `status` property is spelled `Status`.
    RecordingPropertyCase,
    /// updateRecordingStatus omits its null resultInfo.
    RecordingOmitsNull,
    /// updateRecordingStatus does not echo clientContext.
    RecordingNoEcho,
    /// updateRecordingStatus's id differs from Location's operationId.
    RecordingIdMismatch,
    /// delete sends terminating but never terminated.
    DeleteNoTerminated,
    /// delete sends terminated before terminating.
    DeleteOrderSwapped,
    /// delete's notifications name another call.
    DeleteNamesOtherCall,
    /// delete's notifications arrive 12 s late.
    DeleteLate,
    /// The terminated notification does not say why.
    DeleteNoTerminationReason,
    /// The terminated notification's state is `Terminated`.
    DeleteStatePascal,
    /// The operation-completed notification is never sent.
    CancelNoNotification,
    /// The operation-completed notification does not echo clientContext.
    CancelNoEcho,
    /// The operation-completed notification names another operation than Location.
    CancelNamesOtherOperation,
    /// The operation-completed notification reports status `failed`.
    CancelStatusFailed,
    /// resourceData.@odata.id names another call.
    OdataIdOtherCall,
    /// reject sends no deleted notification.
    RejectNoNotification,
    /// Notifications are sent without Authorization.
    NotificationsWithoutAuth,
    /// Notifications are labelled text/plain.
    NotificationsTextPlain,
    /// Notifications are sent as a bare item, without the `value` envelope.
    NotificationsBareItem,
    /// Notifications carry 5 MiB of diagnostics, past the listener's cap.
    NotificationsOversized,
    /// Requests without Authorization are served.
    NoAuthAccepted,
    /// A body that is not JSON gets 500.
    #[strum(serialize = "invalid-json-500")]
    InvalidJson500,
    /// A JSON body that is not an object is accepted.
    NonObjectAccepted,
    /// cancelMediaProcessing's `all` is not type-checked.
    AllTypeUnchecked,
    /// clientContext is not type-checked.
    ClientContextTypeUnchecked,
    /// updateRecordingStatus accepts any status.
    StatusEnumUnchecked,
    /// updateRecordingStatus accepts a missing status.
    StatusRequiredUnchecked,
    /// clientContext length is not checked.
    ClientContextLengthUnchecked,
    /// clientContext is limited to 255 characters (off by one).
    ClientContextOffByOne,
    /// reject accepts any reason.
    ReasonEnumUnchecked,
    /// reject refuses the reason `forbidden`.
    ForbiddenReasonRefused,
    /// reject accepts an http callbackUri.
    CallbackSchemeUnchecked,
    /// An unknown call gets 400 instead of 404.
    #[strum(serialize = "unknown-call-400")]
    UnknownCall400,
    /// Deleted and rejected calls still accept operations.
    EndedCallAlive,
    /// Error answers are plain text.
    ErrorBodyPlainText,
    /// Error objects have no message.
    ErrorWithoutMessage,
    /// reject on an answered call ends it (and says so).
    RejectEndsAnsweredCall,
    /// reject on an answered call leaves it alive but sends a deleted notification.
    RejectAnsweredNotifies,
    /// A successful cancelMediaProcessing or updateRecordingStatus quietly ends the call.
    OperationEndsCall,
    /// A second operation of the same kind on a call is refused.
    RepeatRefused,
    /// updateRecordingStatus to the status the call already has is refused.
    RecordingStatusSticky,
    /// Only a call's first operation causes notifications.
    NotifiesFirstOperationOnly,
    /// A call that has had an operation cannot be deleted.
    UsedCallNotDeletable,
    /// A repeated operation reuses the operation id of the first.
    RepeatReusesOperationId,
    /// An incoming call (never answered) cannot be deleted.
    IncomingNotDeletable,
    /// cancelMediaProcessing refuses a body without clientContext.
    ClientContextRequired,
    /// An empty clientContext is refused.
    ClientContextEmptyRefused,
    /// The echoed clientContext has its non-ASCII characters replaced.
    EchoManglesNonAscii,
    /// reject refuses an https callbackUri with a query.
    CallbackQueryRefused,
    /// updateRecordingStatus takes a null status.
    NullStatusAccepted,
    /// A request refused with 400 on a live call still notifies a failed operation.
    RefusedRequestNotifies,
    /// A successful updateRecordingStatus is followed, 300 ms later, by a `deleted` for the live call.
    StrayDeletedLate,
    /// keepAlive answers 204 instead of 200.
    #[strum(serialize = "keep-alive-answers-204")]
    KeepAliveAnswers204,
    /// keepAlive's 200 carries the call as a body.
    KeepAliveReturnsBody,
    /// keepAlive on an incoming call (not yet answered) is refused.
    KeepAliveRefusedOnIncoming,
    /// keepAlive quietly ends the call.
    KeepAliveEndsCall,
    /// answer answers 200 instead of 202.
    #[strum(serialize = "answer-answers-200")]
    AnswerAnswers200,
    /// answer's 202 carries the call as a body.
    AnswerReturnsBody,
    /// answer notifies `establishing` and never `established`.
    AnswerSkipsEstablished,
    /// answer's second notification says `incoming` where `established` belongs.
    AnswerNotifiesIncoming,
    /// answer accepts an empty acceptedModalities.
    AnswerModalitiesUnchecked,
    /// answer accepts a body without a mediaConfig.
    AnswerMediaConfigUnchecked,
    /// answer accepts an http callbackUri to a host that is not loopback.
    AnswerCallbackUnchecked,
    /// answer acknowledges, but the call stays incoming.
    AnswerStaysIncoming,
    /// answer's notifications (and the call's from then on) go to the provisioning callback, not the answer's callbackUri.
    AnswerIgnoresCallback,
    /// playPrompt answers 202 instead of 200.
    #[strum(serialize = "play-prompt-answers-202")]
    PlayPromptAnswers202,
    /// playPrompt's operation never completes.
    PlayPromptNeverCompletes,
    /// playPrompt's completion is notified `failed` with code 500.
    PlayPromptNotifiesFailed,
    /// playPrompt does not echo clientContext.
    PlayPromptNoEcho,
    /// playPrompt accepts an empty prompts list, or more than 20.
    PlayPromptCountUnchecked,
    /// playPrompt answers `completed` at once (and still notifies).
    PlayPromptAnswersCompleted,
    /// playPrompt's completion is notified twice.
    PlayPromptNotifiesTwice,
    /// subscribeToTone answers 202 instead of 200.
    #[strum(serialize = "tone-subscription-answers-202")]
    ToneSubscriptionAnswers202,
    /// subscribeToTone answers its operation `running`.
    ToneSubscriptionRunning,
    /// subscribeToTone answers `completed` and notifies a completion anyway.
    ToneSubscriptionNotifiesCompleted,
    /// subscribeToTone drops the clientContext.
    ToneSubscriptionNoEcho,
    /// A key pressed on a subscribed call is never notified.
    ToneNotNotified,
    /// A call's tones are numbered from 0.
    ToneSequenceFromZero,
    /// A key is notified by its enum value (`1`) instead of its member (`tone1`).
    ToneAsNumber,
    /// A key pressed on a call that never subscribed is notified anyway.
    ToneToUnsubscribedCall,
    /// cancelMediaProcessing ends the call's tone subscription.
    CancelEndsToneSubscription,
    /// Each key pressed is notified twice.
    ToneNotifiedTwice,
    /// sendDtmfTones answers 202 instead of 200.
    #[strum(serialize = "dtmf-answers-202")]
    DtmfAnswers202,
    /// sendDtmfTones' operation never completes.
    DtmfNeverCompletes,
    /// sendDtmfTones' completion says the tones were cancelled.
    DtmfCompletionCancelled,
    /// sendDtmfTones drops the clientContext.
    DtmfNoEcho,
    /// sendDtmfTones accepts an empty tones list.
    DtmfEmptyTonesAccepted,
    /// recordResponse answers 202 instead of 200.
    #[strum(serialize = "record-answers-202")]
    RecordAnswers202,
    /// recordResponse's completion leaves out where the recording is.
    RecordNoLocation,
    /// recordResponse's completion is notified twice.
    RecordNotifiesTwice,
    /// recordResponse accepts more than one prompt.
    RecordPromptCountUnchecked,
    /// The caller hanging up is never notified.
    HangupNotNotified,
    /// The caller hanging up leaves the call answering as if alive.
    HangupLeavesCallAlive,
    /// cancelMediaProcessing ends the running media operation only; the queued ones play on.
    CancelLeavesQueuedMedia,
    /// cancelMediaProcessing ends prompts only; a recording runs on.
    CancelSkipsRecordings,
    /// The media operations a cancel ends are never notified.
    CancelledMediaNotNotified,
    /// A cancel notifies the media operations failed, and they play on and complete too.
    CancelNotifiesButMediaPlays,
    /// A new media operation plays at once, interrupting the one playing, which plays on after it.
    MediaNewestFirst,
    /// get reports the state the call was provisioned in, not the state it is in.
    GetStaleState,
    /// get finds an ended call: 200 with `state: terminated` instead of 404.
    GetFindsEndedCall,
    /// get spells the call's state in PascalCase.
    GetStatePascal,
    /// get leaves out the bot's own participant id.
    GetOmitsParticipant,
    /// redirect answers 200 instead of 202.
    #[strum(serialize = "redirect-answers-200")]
    RedirectAnswers200,
    /// redirect accepts more than 25 targets.
    RedirectTargetCountUnchecked,
    /// redirect accepts a timeout outside 15 to 90 seconds.
    RedirectTimeoutUnchecked,
    /// redirect notifies the call's end to the call's first callback, not the request's callbackUri.
    RedirectIgnoresCallback,
    /// redirect notifies the call's end but the call goes on answering as if alive.
    RedirectLeavesCallAlive,
    /// create call answers 200 instead of 201.
    #[strum(serialize = "create-answers-200")]
    CreateAnswers200,
    /// create call's answer has no Location.
    CreateNoLocation,
    /// create call's Location names another call than the one it made (its body's id, its notifications).
    CreateLocationOtherCall,
    /// create call never notifies the call established.
    CreateSkipsEstablished,
    /// create call notifies the new call as incoming (the bot's own call, seen from the far side).
    CreateNotifiesIncoming,
    /// create call accepts a body with neither targets nor meetingInfo.
    CreateNobodyToCall,
    /// create call accepts an http callbackUri to a host that is not loopback.
    CreateCallbackUnchecked,
    /// create call starts placing the call (notified establishing) before it validates the body.
    CreateRingsBeforeValidating,
    /// create call answers 201 but keeps no call: every operation on it is 404.
    CreateForgetsCall,
    /// list participants leaves the bot's own participant out of the roster.
    RosterOmitsBot,
    /// list participants lists the bot's own participant twice.
    RosterRepeatsBot,
    /// list participants spells isMuted as a string.
    RosterMutedAsString,
    /// list participants answers 200 with a roster for an ended call.
    RosterOfEndedCall,
    /// get participant answers the caller for the bot's own participant id.
    ParticipantGetAnswersCaller,
    /// get participant answers 200 (a participant) for an id that is no participant of the call.
    UnknownParticipantFound,
    /// mute answers, but the roster update never comes.
    MuteNotNotified,
    /// mute's roster update shows the bot as it was (unmute's likewise).
    MuteNotifiesUnchanged,
    /// mute's roster update names the call, not its participants.
    MuteRosterOnTheCall,
    /// mute and unmute are notified, but the bot's participant reads back as it was.
    MuteForgotten,
    /// unmute answers 202 Accepted instead of 200 OK.
    UnmuteAnswers202,
    /// changeScreenSharingRole answers 200 instead of 202.
    ScreenSharingAnswers200,
    /// changeScreenSharingRole answers with a body where the page returns none.
    ScreenSharingAnswersBody,
    /// changeScreenSharingRole accepts a role that is neither viewer nor sharer.
    ScreenSharingRoleUnchecked,
}

const RECORDING: &[&str] = &[
    "call-updateRecordingStatus--notRecording",
    "call-updateRecordingStatus--recording",
    "call-updateRecordingStatus--failed",
];
const DELETES: &[&str] = &["call-delete", "delete_call"];
const REJECTS: &[&str] = &["call-reject--busy", "call-reject--none"];
const CANCEL: &[&str] = &["call-cancelMediaProcessing"];
const KEEP_ALIVE: &[&str] = &["keep-alive"];
const PROMPTS: &[&str] = &["call-playPrompt"];
const TONES: &[&str] = &["call-subscribeToTone"];
const DTMF: &[&str] = &["call-sendDtmfTones"];
const RECORD: &[&str] = &["call-recordResponse"];
const GET: &[&str] = &["get-call-1"];
const ROSTER: &[&str] = &["get-participants"];
const PARTICIPANT: &[&str] = &["get-participant"];
const MUTES: &[&str] = &["call-mute", "call-unmute"];
const SCREEN: &[&str] = &["call-changeScreenSharingRole"];
const REDIRECT: &[&str] = &["call-redirect", "call-redirect-1"];
const REDIRECT_TARGETS: &[&str] = &["call-redirect ~ targets of 26 items", "call-redirect-1 ~ targets of 26 items"];
const REDIRECT_TIMEOUT: &[&str] = &["call-redirect ~ timeout below 15", "call-redirect-1 ~ timeout above 90"];
const CREATES: &[&str] = &[
    "create-call-service-hosted-media-1",
    "join-meeting-with-join-meeting-id-and-without-passcode",
];
const ANSWERS: &[&str] = &["call-answer", "call-answer-service-hosted-media", "call-answer-app-hosted-media"];
/// Generated programs (`cargo test explore`): what state across requests on one call takes to see.
const EXPLORE: &[&str] = &["explore"];
/// The saved programs (`cargo test programs`, `tests/fixtures/programs/`): a sequence the
/// generated ones reach too seldom to be sure of in the default budget, written out.
const SAVED: &[&str] = &["programs"];
/// Both: the generated programs reach it in the default budget, and a saved program holds the
/// sequence for certain.
const BOTH: &[&str] = &["explore", "programs"];

impl Fault {
    /// The fault's name, as `CONFORMANCE_DOUBLE_FAULT` takes it.
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// The bug, in a sentence.
    pub fn bug(self) -> &'static str {
        self.def().0
    }

    /// The check that exists to catch it.
    pub fn check(self) -> Check {
        self.def().1
    }

    /// The cases (positive ids or negative ids) that must catch it.
    pub fn caught_by(self) -> &'static [&'static str] {
        self.def().2
    }

    /// Whether what it breaks is the media queue's timing: it shows only where a cancel or a new
    /// media operation finds others still playing or queued, so it is proven at the double's own
    /// pace ([`crate::doubles::service::MEDIA_RUNS`]); what the others break shows at any pace.
    pub fn in_the_queue(self) -> bool {
        matches!(
            self,
            Fault::CancelLeavesQueuedMedia
                | Fault::CancelSkipsRecordings
                | Fault::CancelledMediaNotNotified
                | Fault::CancelNotifiesButMediaPlays
                | Fault::MediaNewestFirst
        )
    }

    /// Looks a fault up by name.
    pub fn parse(name: &str) -> Option<Fault> {
        Fault::iter().find(|f| f.name() == name)
    }

    /// Looks up the fault `CONFORMANCE_DOUBLE_FAULT` names, or says which names there are.
    pub fn from_variable(name: &str) -> Result<Fault, String> {
        super::lookup("CONFORMANCE_DOUBLE_FAULT", name, Fault::parse, Fault::iter().map(Fault::name))
    }

    fn def(self) -> (&'static str, Check, &'static [&'static str]) {
        use Check as C;
        match self {
            Fault::ProvisionAnswers200 => ("the provisioning hook answers 200 instead of 201 Created", C::Setup, CANCEL),
            Fault::CancelAnswers200 => ("cancelMediaProcessing answers 200 instead of 202 Accepted", C::Status, CANCEL),
            Fault::DeleteAnswers200 => ("delete answers 200 instead of 204 No Content", C::Status, DELETES),
            Fault::RecordingAnswers202 => ("updateRecordingStatus answers 202 instead of 200 OK", C::Status, RECORDING),
            Fault::RejectAnswers200 => ("reject answers 200 instead of 202 Accepted", C::Status, REJECTS),
            Fault::CancelNoLocation => ("cancelMediaProcessing sends no Location header", C::Location, CANCEL),
            Fault::RecordingNoLocation => ("updateRecordingStatus sends no Location header", C::Location, RECORDING),
            Fault::LocationOtherCall => (
                "Location names an operation of another call",
                C::Location,
                &["call-cancelMediaProcessing", "call-updateRecordingStatus--recording"],
            ),
            Fault::LocationRelative => (
                "Location is a relative path, not an absolute URL",
                C::Location,
                &["call-cancelMediaProcessing", "call-updateRecordingStatus--recording"],
            ),
            Fault::LocationIsTheCall => (
                "Location points at the call instead of the operation",
                C::Location,
                &["call-cancelMediaProcessing", "call-updateRecordingStatus--recording"],
            ),
            Fault::RejectReturnsBody => (
                "reject's 202 carries a JSON body where the page says nothing is returned",
                C::EmptyBody,
                REJECTS,
            ),
            Fault::CancelReturnsBody => (
                "cancelMediaProcessing's 202 carries the operation as a body (the current page's shape in the seeds edition)",
                C::EmptyBody,
                CANCEL,
            ),
            Fault::RecordingTextPlain => ("updateRecordingStatus's JSON body is labelled text/plain", C::MediaType, RECORDING),
            Fault::RecordingBodyTruncated => ("updateRecordingStatus's body is cut off mid-JSON", C::BodyJson, RECORDING),
            Fault::RecordingStatusUpperCase => (
                "updateRecordingStatus answers status \"COMPLETED\" (neither the documents' nor the metadata's spelling)",
                C::BodySchema,
                RECORDING,
            ),
            Fault::RecordingBaseOdataType => (
                "updateRecordingStatus answers @odata.type #microsoft.graph.commsOperation",
                C::DocumentedValue,
                RECORDING,
            ),
            Fault::RecordingPropertyCase => (
                "updateRecordingStatus spells the property \"Status\"",
                C::DocumentedValue,
                RECORDING,
            ),
            Fault::RecordingOmitsNull => (
                "updateRecordingStatus leaves out its null resultInfo",
                C::DocumentedValue,
                RECORDING,
            ),
            Fault::RecordingNoEcho => ("updateRecordingStatus does not echo clientContext", C::Echo, RECORDING),
            Fault::RecordingIdMismatch => (
                "updateRecordingStatus's id differs from Location's operationId",
                C::OperationId,
                RECORDING,
            ),
            Fault::DeleteNoTerminated => ("delete sends terminating but never terminated", C::NotificationArrives, DELETES),
            Fault::DeleteOrderSwapped => ("delete sends terminated before terminating", C::NotificationOrder, DELETES),
            Fault::DeleteNamesOtherCall => ("delete's notifications name another call", C::NotificationArrives, DELETES),
            Fault::DeleteLate => (
                "delete's notifications arrive 12 s after the answer",
                C::NotificationArrives,
                DELETES,
            ),
            Fault::DeleteNoTerminationReason => (
                "the terminated notification does not say why the call ended",
                C::TerminationReason,
                DELETES,
            ),
            Fault::DeleteStatePascal => (
                "the terminated notification says state \"Terminated\"",
                C::NotificationSchema,
                DELETES,
            ),
            Fault::CancelNoNotification => (
                "cancelMediaProcessing never sends the operation-completed notification",
                C::NotificationArrives,
                CANCEL,
            ),
            Fault::CancelNoEcho => ("the operation-completed notification does not echo clientContext", C::Echo, CANCEL),
            Fault::CancelNamesOtherOperation => (
                "the operation-completed notification names another operation than Location",
                C::Correlation,
                CANCEL,
            ),
            Fault::CancelStatusFailed => (
                "the operation-completed notification reports status \"Failed\"",
                C::DocumentedValue,
                CANCEL,
            ),
            Fault::OdataIdOtherCall => (
                "resourceData.@odata.id names another call than the resource",
                C::Correlation,
                REJECTS,
            ),
            Fault::RejectNoNotification => ("reject never sends the deleted notification", C::NotificationArrives, REJECTS),
            Fault::NotificationsWithoutAuth => ("notifications are POSTed without Authorization", C::NotificationDelivery, DELETES),
            Fault::NotificationsTextPlain => ("notifications are labelled text/plain", C::NotificationDelivery, DELETES),
            Fault::NotificationsBareItem => (
                "notifications are sent as a bare item without the value envelope",
                C::NotificationSchema,
                DELETES,
            ),
            Fault::NotificationsOversized => (
                "notifications carry 5 MiB of diagnostics, past the 4 MiB the listener reads (the listener answers 413)",
                C::NotificationDelivery,
                CANCEL,
            ),
            Fault::NoAuthAccepted => ("requests without Authorization are served", C::ErrorStatus, &["no-authorization"]),
            Fault::InvalidJson500 => (
                "a body that is not JSON gets 500 instead of 400",
                C::ErrorStatus,
                &["body-not-json"],
            ),
            Fault::NonObjectAccepted => (
                "a JSON array body is accepted as if it were empty",
                C::ErrorStatus,
                &["body-not-an-object"],
            ),
            Fault::AllTypeUnchecked => (
                "cancelMediaProcessing accepts \"all\": \"yes\"",
                C::ErrorStatus,
                &["cancelMediaProcessing--all-not-boolean"],
            ),
            Fault::ClientContextTypeUnchecked => (
                "a numeric clientContext is accepted",
                C::ErrorStatus,
                &["client-context-not-a-string"],
            ),
            Fault::StatusEnumUnchecked => (
                "updateRecordingStatus accepts any status string",
                C::ErrorStatus,
                &[
                    "updateRecordingStatus--status-outside-enum",
                    "updateRecordingStatus--status-placeholder",
                ],
            ),
            Fault::StatusRequiredUnchecked => (
                "updateRecordingStatus accepts a body without status",
                C::ErrorStatus,
                &["updateRecordingStatus--status-missing"],
            ),
            Fault::ClientContextLengthUnchecked => (
                "a 257-character clientContext is accepted",
                C::ErrorStatus,
                &["updateRecordingStatus--client-context-257"],
            ),
            Fault::ClientContextOffByOne => (
                "a clientContext of exactly 256 characters is refused",
                C::ErrorStatus,
                &["updateRecordingStatus--client-context-256"],
            ),
            Fault::ReasonEnumUnchecked => ("reject accepts any reason string", C::ErrorStatus, &["reject--reason-outside-enum"]),
            Fault::ForbiddenReasonRefused => (
                "reject knows only none and busy and refuses forbidden",
                C::ErrorStatus,
                &["reject--reason-forbidden"],
            ),
            Fault::CallbackSchemeUnchecked => ("reject accepts an http callbackUri", C::ErrorStatus, &["reject--callback-uri-http"]),
            Fault::UnknownCall400 => ("an unknown call id gets 400 instead of 404", C::ErrorStatus, &["unknown-call"]),
            Fault::EndedCallAlive => (
                "deleted and rejected calls still accept operations",
                C::ErrorStatus,
                &["deleted-call", "rejected-call"],
            ),
            Fault::ErrorBodyPlainText => (
                "error answers are plain text instead of the Graph error object",
                C::ErrorObject,
                &["no-authorization", "unknown-call", "body-not-json"],
            ),
            Fault::ErrorWithoutMessage => (
                "error objects carry a code but no message",
                C::ErrorObject,
                &["no-authorization", "unknown-call", "body-not-json"],
            ),
            Fault::RejectEndsAnsweredCall => (
                "reject on an answered call hangs it up",
                C::CallStaysAlive,
                &["reject--answered-call-stays-alive"],
            ),
            Fault::RejectAnsweredNotifies => (
                "reject on an answered call keeps it but sends a deleted notification",
                C::NoDeletedNotification,
                &["reject--answered-call-stays-alive"],
            ),
            Fault::OperationEndsCall => (
                "a successful cancelMediaProcessing or updateRecordingStatus quietly ends the call: the next operation gets 404",
                C::Status,
                EXPLORE,
            ),
            Fault::RepeatRefused => (
                "a second operation of the same kind on a call is refused with 409 (\"an operation is in progress\")",
                C::Status,
                EXPLORE,
            ),
            Fault::RecordingStatusSticky => (
                "updateRecordingStatus to the status the call already has is refused with 400",
                C::Status,
                // The generated programs find it from most seeds (4 of seeds 1 to 6), not for certain from
                // the default one as the catalog grows: the saved program repeats the same status for sure.
                SAVED,
            ),
            Fault::NotifiesFirstOperationOnly => (
                "only a call's first operation causes notifications: a later cancelMediaProcessing or delete is not notified",
                C::NotificationArrives,
                EXPLORE,
            ),
            Fault::UsedCallNotDeletable => ("delete on a call that has had an operation answers 500", C::Status, EXPLORE),
            Fault::RepeatReusesOperationId => (
                "a repeated operation on a call gets the operation id of the first (Location, body and notification)",
                C::FreshOperationId,
                EXPLORE,
            ),
            Fault::IncomingNotDeletable => ("delete on an incoming call that was never answered answers 404", C::Status, EXPLORE),
            Fault::ClientContextRequired => (
                "cancelMediaProcessing refuses a body without the optional clientContext (400)",
                C::Status,
                &["call-cancelMediaProcessing ~ without clientContext"],
            ),
            Fault::ClientContextEmptyRefused => (
                "an empty clientContext is refused (400)",
                C::Status,
                &[
                    "call-cancelMediaProcessing ~ clientContext empty",
                    "call-updateRecordingStatus--recording ~ clientContext empty",
                ],
            ),
            Fault::EchoManglesNonAscii => (
                "the echoed clientContext has its non-ASCII characters replaced by '?'",
                C::Echo,
                &[
                    "call-cancelMediaProcessing ~ clientContext not ASCII",
                    "call-updateRecordingStatus--recording ~ clientContext not ASCII",
                ],
            ),
            Fault::CallbackQueryRefused => (
                "reject refuses an https callbackUri that has a query string (400)",
                C::Status,
                &["call-reject--busy ~ an https callbackUri with a path and a query"],
            ),
            Fault::NullStatusAccepted => (
                "updateRecordingStatus takes a null status instead of answering 400",
                C::ErrorStatus,
                &["call-updateRecordingStatus--recording ~ status null"],
            ),
            Fault::RefusedRequestNotifies => (
                "a request refused with 400 on a live call still notifies a failed operation (the service started it before validating)",
                C::NoNotificationWhenRefused,
                &["updateRecordingStatus--status-outside-enum", "client-context-not-a-string"],
            ),
            Fault::StrayDeletedLate => (
                "300 ms after a successful updateRecordingStatus the call is notified deleted, though it lives on",
                C::NoDeletedNotification,
                EXPLORE,
            ),
            Fault::KeepAliveAnswers204 => ("keepAlive answers 204 No Content instead of 200 OK", C::Status, KEEP_ALIVE),
            Fault::KeepAliveReturnsBody => (
                "keepAlive's 200 carries the call as a JSON body where the page returns nothing",
                C::EmptyBody,
                KEEP_ALIVE,
            ),
            Fault::KeepAliveRefusedOnIncoming => (
                "keepAlive on an incoming call not yet answered is refused with 400, as if only established calls could expire",
                C::Status,
                EXPLORE,
            ),
            Fault::KeepAliveEndsCall => (
                "keepAlive quietly ends the call (routed to the hang-up path): the next operation gets 404",
                C::Status,
                EXPLORE,
            ),
            Fault::AnswerAnswers200 => ("answer answers 200 OK instead of 202 Accepted", C::Status, ANSWERS),
            Fault::AnswerReturnsBody => (
                "answer's 202 carries the call as a JSON body where the page returns nothing",
                C::EmptyBody,
                ANSWERS,
            ),
            Fault::AnswerSkipsEstablished => (
                "answer notifies establishing and never established: the bot waits for ever to play its prompt",
                C::NotificationArrives,
                ANSWERS,
            ),
            Fault::AnswerNotifiesIncoming => (
                "answer's second notification says state incoming where established belongs",
                C::NotificationArrives,
                ANSWERS,
            ),
            Fault::AnswerModalitiesUnchecked => (
                "answer accepts an empty acceptedModalities, which the page requires",
                C::ErrorStatus,
                &["call-answer-service-hosted-media ~ acceptedModalities empty"],
            ),
            Fault::AnswerMediaConfigUnchecked => (
                "answer accepts a body whose mediaConfig is missing or of no media configuration type",
                C::ErrorStatus,
                &["call-answer-service-hosted-media ~ mediaConfig missing"],
            ),
            Fault::AnswerCallbackUnchecked => (
                "answer accepts an http callbackUri to a host that is not loopback (CONTRACT.md 7.2 allows http to loopback only)",
                C::ErrorStatus,
                &["call-answer-service-hosted-media ~ callbackUri http to a host that is not loopback"],
            ),
            Fault::AnswerStaysIncoming => (
                "answer acknowledges and notifies, but the call stays incoming: what only an established call takes is refused",
                C::Status,
                EXPLORE,
            ),
            Fault::PlayPromptAnswers202 => ("playPrompt answers 202 Accepted instead of 200 OK", C::Status, PROMPTS),
            Fault::PlayPromptNeverCompletes => (
                "playPrompt's operation never completes: the bot waits for ever to play the next prompt or hang up",
                C::NotificationArrives,
                PROMPTS,
            ),
            Fault::PlayPromptNotifiesFailed => (
                "playPrompt's completion is notified failed, resultInfo code 500, for a prompt that played",
                C::DocumentedValue,
                PROMPTS,
            ),
            Fault::PlayPromptNoEcho => (
                "playPrompt's answer and completion drop the clientContext the bot sent",
                C::Echo,
                PROMPTS,
            ),
            Fault::PlayPromptCountUnchecked => (
                "playPrompt accepts an empty prompts list and more than the page's 20",
                C::ErrorStatus,
                &["call-playPrompt ~ prompts empty", "call-playPrompt ~ prompts of 21 items"],
            ),
            Fault::PlayPromptAnswersCompleted => (
                "playPrompt answers completed at once, for a prompt still to play (and notifies its completion later)",
                C::DocumentedValue,
                PROMPTS,
            ),
            Fault::PlayPromptNotifiesTwice => (
                "playPrompt's completion is notified twice: a bot that plays the next prompt on each plays two",
                C::OperationNotifiedOnce,
                PROMPTS,
            ),
            Fault::ToneSubscriptionAnswers202 => ("subscribeToTone answers 202 Accepted instead of 200 OK", C::Status, TONES),
            Fault::ToneSubscriptionRunning => (
                "subscribeToTone answers its operation running, as a media operation would: a bot waits for a completion that never comes",
                C::DocumentedValue,
                TONES,
            ),
            Fault::ToneSubscriptionNotifiesCompleted => (
                "subscribeToTone answers completed and then notifies the operation completed too",
                C::OperationNotifiedOnce,
                TONES,
            ),
            Fault::ToneSubscriptionNoEcho => ("subscribeToTone's answer drops the clientContext the bot sent", C::Echo, TONES),
            Fault::ToneNotNotified => (
                "a key the caller presses on a subscribed call is never notified: the IVR menu never moves",
                C::NotificationArrives,
                TONES,
            ),
            Fault::ToneSequenceFromZero => (
                "a call's tones are numbered from 0 where the page numbers the first 1",
                C::DocumentedValue,
                TONES,
            ),
            Fault::ToneAsNumber => (
                "a key is notified by the tone enum's value (1) instead of its member name (tone1)",
                C::DocumentedValue,
                TONES,
            ),
            Fault::ToneToUnsubscribedCall => (
                "a key pressed on a call that never subscribed to tones is notified anyway: a bot that did not ask sees keys",
                C::ToneOnlyWhenSubscribed,
                EXPLORE,
            ),
            Fault::CancelLeavesQueuedMedia => (
                "cancelMediaProcessing stops the prompt playing and lets the queued ones play on (CONTRACT.md 7.3: it ends the queued ones too): the caller hears the menu the bot cancelled",
                C::MediaInOrder,
                BOTH,
            ),
            Fault::CancelSkipsRecordings => (
                "cancelMediaProcessing cancels prompts only, as if it were a cancel of playPrompt: a queued recording starts after the bot cancelled it",
                C::MediaInOrder,
                BOTH,
            ),
            Fault::CancelledMediaNotNotified => (
                "the prompts and recordings a cancel ends are never notified: a bot waiting for each to finish waits for ever",
                C::NotificationArrives,
                BOTH,
            ),
            Fault::CancelNotifiesButMediaPlays => (
                "a cancel notifies each media operation failed but does not stop them: each is then notified completed too, and a bot acts on both",
                C::OperationNotifiedOnce,
                BOTH,
            ),
            Fault::MediaNewestFirst => (
                "a new media operation plays at once, interrupting the one playing, which plays on after it (a stack, not a queue): a bot's second prompt is heard, and completed, before its first",
                C::MediaInOrder,
                BOTH,
            ),
            Fault::GetStaleState => (
                "get reports the call as it was provisioned (a cache the answer never updated): a bot that answered reads its call as still incoming",
                C::DocumentedValue,
                BOTH,
            ),
            Fault::GetFindsEndedCall => (
                "get still finds an ended call, 200 with state terminated, instead of 404 for ever (CONTRACT.md section 1)",
                C::ErrorStatus,
                EXPLORE,
            ),
            Fault::GetStatePascal => (
                "get spells the call's state \"Established\": the metadata's callState members are camelCase",
                C::BodySchema,
                GET,
            ),
            Fault::GetOmitsParticipant => (
                "get leaves out myParticipantId: a bot cannot find itself in the roster",
                C::DocumentedValue,
                GET,
            ),
            Fault::RedirectAnswers200 => ("redirect answers 200 OK instead of 202 Accepted", C::Status, REDIRECT),
            Fault::RedirectTargetCountUnchecked => (
                "redirect takes 26 targets where the contract allows at most 25",
                C::ErrorStatus,
                REDIRECT_TARGETS,
            ),
            Fault::RedirectTimeoutUnchecked => (
                "redirect takes a timeout outside 15 to 90 seconds: the caller rings for ever, or not at all",
                C::ErrorStatus,
                REDIRECT_TIMEOUT,
            ),
            Fault::RedirectIgnoresCallback => (
                "redirect notifies the call's end to the call's first callback instead of the request's callbackUri: the bot that asked never hears it",
                C::NotificationArrives,
                REDIRECT,
            ),
            Fault::RedirectLeavesCallAlive => (
                "redirect notifies the call's end, but the call goes on answering operations as if the bot still had it",
                C::ErrorStatus,
                EXPLORE,
            ),
            Fault::CreateAnswers200 => ("create call answers 200 OK instead of 201 Created", C::Status, CREATES),
            Fault::CreateNoLocation => (
                "create call's 201 has no Location: the bot cannot address the call it made",
                C::Location,
                CREATES,
            ),
            Fault::CreateLocationOtherCall => (
                "create call's Location names another call than the one it made (its body's id, its notifications)",
                C::Correlation,
                CREATES,
            ),
            Fault::CreateSkipsEstablished => (
                "create call notifies establishing but never established: the bot waits for ever to play its prompt",
                C::NotificationArrives,
                CREATES,
            ),
            Fault::CreateNotifiesIncoming => (
                "create call notifies the bot's own outgoing call as incoming, as if the far side had called",
                C::NotificationArrives,
                CREATES,
            ),
            Fault::CreateNobodyToCall => (
                "create call takes a body with neither targets nor meetingInfo, a call to nobody",
                C::ErrorStatus,
                &["create-call-service-hosted-media-1 ~ without targets"],
            ),
            Fault::CreateCallbackUnchecked => (
                "create call takes an http callbackUri to a host that is not loopback: the call's notifications travel in clear",
                C::ErrorStatus,
                &[
                    "create-call-service-hosted-media-1 ~ callbackUri http to a host that is not loopback",
                    "join-meeting-with-join-meeting-id-and-without-passcode ~ callbackUri http to a host that is not loopback",
                ],
            ),
            Fault::CreateRingsBeforeValidating => (
                "create call starts placing the call (notified establishing) before it validates the body, then refuses it: the bot hears of a call that does not exist",
                C::NoNotificationWhenRefused,
                &["create-call-service-hosted-media-1 ~ requestedModalities empty"],
            ),
            Fault::CreateForgetsCall => (
                "create call answers 201 and notifies, but keeps no call: every operation on the call it made is 404",
                C::Status,
                BOTH,
            ),
            Fault::CancelEndsToneSubscription => (
                "cancelMediaProcessing also ends the call's tone subscription (CONTRACT.md 7.3 says it does not): the IVR goes deaf after a barge-in",
                C::NotificationArrives,
                SAVED,
            ),
            Fault::ToneNotifiedTwice => (
                "each key the caller presses is notified twice: a bot reading a PIN reads every digit twice",
                C::ToneOnlyWhenSubscribed,
                EXPLORE,
            ),
            Fault::DtmfAnswers202 => ("sendDtmfTones answers 202 Accepted instead of 200 OK", C::Status, DTMF),
            Fault::DtmfNeverCompletes => (
                "sendDtmfTones' operation never completes: the bot never learns the tones went out",
                C::NotificationArrives,
                DTMF,
            ),
            Fault::DtmfCompletionCancelled => (
                "sendDtmfTones' completion says completionReason mediaOperationCanceled for tones nobody cancelled",
                C::DocumentedValue,
                DTMF,
            ),
            Fault::DtmfNoEcho => ("sendDtmfTones' answer and completion drop the clientContext the bot sent", C::Echo, DTMF),
            Fault::DtmfEmptyTonesAccepted => (
                "sendDtmfTones accepts an empty tones list, and answers it as if tones were sent",
                C::ErrorStatus,
                &["call-sendDtmfTones ~ tones empty"],
            ),
            Fault::RecordAnswers202 => ("recordResponse answers 202 Accepted instead of 200 OK", C::Status, RECORD),
            Fault::RecordNoLocation => (
                "recordResponse's completion leaves out recordingLocation: the bot cannot fetch what the caller said",
                C::DocumentedValue,
                RECORD,
            ),
            Fault::RecordNotifiesTwice => (
                "recordResponse's completion is notified twice: a bot that stores each recording stores one twice",
                C::OperationNotifiedOnce,
                RECORD,
            ),
            Fault::RecordPromptCountUnchecked => (
                "recordResponse accepts two prompts where the page allows at most one",
                C::ErrorStatus,
                &["call-recordResponse ~ prompts of 2 items"],
            ),
            Fault::HangupNotNotified => (
                "the caller hanging up is never notified: the bot keeps a dead call",
                C::NotificationArrives,
                EXPLORE,
            ),
            Fault::HangupLeavesCallAlive => (
                "the caller hanging up is notified, but the call goes on answering operations as if alive",
                C::ErrorStatus,
                EXPLORE,
            ),
            Fault::AnswerIgnoresCallback => (
                "answer's notifications go to the provisioning callback instead of the answer's callbackUri",
                C::NotificationArrives,
                ANSWERS,
            ),
            Fault::RosterOmitsBot => (
                "list participants leaves the bot's own participant out of the roster: a bot cannot find itself (its mute state, its streams)",
                C::Correlation,
                ROSTER,
            ),
            Fault::RosterRepeatsBot => (
                "list participants lists the bot's own participant twice (a roster merged from two sources): a bot counting the people in a call counts one too many",
                C::Correlation,
                ROSTER,
            ),
            Fault::RosterMutedAsString => (
                "list participants spells isMuted as the string \"false\": a typed client cannot read the roster",
                C::BodySchema,
                ROSTER,
            ),
            Fault::ParticipantGetAnswersCaller => (
                "get participant answers another participant than the one the path names (the caller for the bot's own id): a bot reads someone else's mute state as its own",
                C::Correlation,
                PARTICIPANT,
            ),
            Fault::UnknownParticipantFound => (
                "get participant answers 200 with a participant for an id the call does not have, instead of 404",
                C::ErrorStatus,
                &["unknown-participant"],
            ),
            Fault::MuteNotNotified => (
                "mute and unmute answer, but the roster update never comes: a bot showing its mute state never sees it change",
                C::NotificationArrives,
                MUTES,
            ),
            Fault::MuteNotifiesUnchanged => (
                "the roster update after mute shows the bot unmuted (after unmute, muted): the notification says the opposite of what was done",
                C::NotificationArrives,
                MUTES,
            ),
            Fault::MuteRosterOnTheCall => (
                "the roster update names the call (…/calls/{id}) instead of its participants (…/calls/{id}/participants): a bot routing by resource reads a roster as a call",
                C::NotificationArrives,
                MUTES,
            ),
            Fault::MuteForgotten => (
                "mute is answered and notified, but the bot's participant reads back unmuted (a roster kept apart from the mute state)",
                C::DocumentedValue,
                SAVED,
            ),
            Fault::UnmuteAnswers202 => ("unmute answers 202 Accepted instead of 200 OK", C::Status, &["call-unmute"]),
            Fault::ScreenSharingAnswers200 => ("changeScreenSharingRole answers 200 OK instead of 202 Accepted", C::Status, SCREEN),
            Fault::ScreenSharingAnswersBody => (
                "changeScreenSharingRole answers 202 with a body (the role echoed) where the page returns none",
                C::EmptyBody,
                SCREEN,
            ),
            Fault::ScreenSharingRoleUnchecked => (
                "changeScreenSharingRole accepts a role that is neither viewer nor sharer, and answers it as if it were",
                C::ErrorStatus,
                &["call-changeScreenSharingRole ~ role outside its enum (\"ndc\")"],
            ),
            Fault::RosterOfEndedCall => (
                "list participants answers 200 with a roster for a call that has ended, as if it were alive",
                C::ErrorStatus,
                &["deleted-call"],
            ),
        }
    }
}
