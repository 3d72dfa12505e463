//! Code lists: the closed vocabularies of the register (hazard kind, status,
//! outcome, EO category, ...).
//!
//! Each code list is an enum with a stable, upper-snake text code. The code is
//! what goes into the database, the JSON and the exports; it never changes once
//! released, so that files written today still read tomorrow. Labels for people
//! are a presentation concern and live with the user interfaces.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A code that is not in its code list, with the list, so the message can say
/// what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{value}' is not a valid {list}; expected one of: {expected}")]
pub struct UnknownCode {
    pub list: &'static str,
    pub value: String,
    pub expected: String,
}

macro_rules! code_list {
    (
        $(#[$meta:meta])*
        $name:ident, $label:literal {
            $( $(#[$vmeta:meta])* $variant:ident = $code:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        pub enum $name {
            $( $(#[$vmeta])* #[serde(rename = $code)] $variant ),+
        }

        impl $name {
            /// Every member, in the order of the code list.
            pub const ALL: &'static [$name] = &[ $( $name::$variant ),+ ];

            /// The stable text code stored in the database and exports.
            pub const fn code(self) -> &'static str {
                match self { $( $name::$variant => $code ),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.pad(self.code())
            }
        }

        impl FromStr for $name {
            type Err = UnknownCode;
            /// Parses a code, ignoring case and treating `-` and spaces as `_`.
            fn from_str(s: &str) -> Result<Self, UnknownCode> {
                let norm: String = s
                    .trim()
                    .chars()
                    .map(|c| if c == '-' || c == ' ' { '_' } else { c.to_ascii_uppercase() })
                    .collect();
                match norm.as_str() {
                    $( $code => Ok($name::$variant), )+
                    _ => Err(UnknownCode {
                        list: $label,
                        value: s.to_string(),
                        expected: [$( $code ),+].join(", "),
                    }),
                }
            }
        }
    };
}

code_list! {
    /// The kind of organisation [IMAS 04.10].
    OrganisationKind, "organisation kind" {
        NationalAuthority = "NATIONAL_AUTHORITY",
        Operator = "OPERATOR",
        QmBody = "QM_BODY",
    }
}

code_list! {
    /// What a team is equipped and accredited to do.
    TeamKind, "team kind" {
        Nts = "NTS",
        ManualClearance = "MANUAL_CLEARANCE",
        MechanicalClearance = "MECHANICAL_CLEARANCE",
        MineDetectionDogs = "MDD",
        Eod = "EOD",
        Eore = "EORE",
        Qm = "QM",
    }
}

code_list! {
    /// Suspected or confirmed: the strength of the evidence behind a hazard.
    HazardKind, "hazard kind" {
        /// Suspected hazardous area: indirect evidence.
        Sha = "SHA",
        /// Confirmed hazardous area: direct evidence.
        Cha = "CHA",
    }
}

code_list! {
    /// Where a hazard stands in its life.
    HazardStatus, "hazard status" {
        Open = "OPEN",
        WorkedOn = "WORKED_ON",
        Closed = "CLOSED",
        HandedOver = "HANDED_OVER",
    }
}

code_list! {
    /// The kinds of explosive ordnance a hazard is contaminated with, and the
    /// category of an EO find.
    EoCategory, "explosive ordnance category" {
        /// Anti-personnel mine.
        Ap = "AP",
        /// Anti-tank / anti-vehicle mine.
        At = "AT",
        /// Unexploded ordnance.
        Uxo = "UXO",
        /// Abandoned explosive ordnance.
        Axo = "AXO",
        /// Cluster munition remnants.
        Cmr = "CMR",
        /// Improvised explosive device.
        Ied = "IED",
    }
}

code_list! {
    /// How reliable a piece of evidence is.
    Confidence, "evidence confidence" {
        Low = "LOW",
        Medium = "MEDIUM",
        High = "HIGH",
    }
}

code_list! {
    /// Where a piece of evidence came from.
    EvidenceSource, "evidence source" {
        MinefieldRecord = "MINEFIELD_RECORD",
        Informant = "INFORMANT",
        Accident = "ACCIDENT",
        VisualSighting = "VISUAL_SIGHTING",
        MilitaryRecord = "MILITARY_RECORD",
        Marking = "MARKING",
        Survey = "SURVEY",
    }
}

code_list! {
    /// What the contamination keeps people from doing with the land.
    LandUse, "land use" {
        Agriculture = "AGRICULTURE",
        Grazing = "GRAZING",
        Housing = "HOUSING",
        Road = "ROAD",
        Infrastructure = "INFRASTRUCTURE",
        Forest = "FOREST",
        Water = "WATER",
    }
}

code_list! {
    /// Hazard reduction activities [IMAS 07.11, 08.10, 08.20, 09.10].
    ActivityKind, "activity kind" {
        /// Non-technical survey.
        Nts = "NTS",
        /// Technical survey.
        Ts = "TS",
        Clearance = "CLEARANCE",
        /// Battle area clearance.
        Bac = "BAC",
        /// An EOD call-out to one item.
        EodSpotTask = "EOD_SPOT_TASK",
    }
}

code_list! {
    /// How ground was searched.
    ClearanceMethod, "clearance method" {
        Manual = "MANUAL",
        Mechanical = "MECHANICAL",
        /// Mine detection dogs.
        Dogs = "DOGS",
    }
}

code_list! {
    /// How a piece of ground was released [IMAS 07.11].
    ReleaseOutcome, "release outcome" {
        /// By non-technical survey: no evidence, the suspicion is withdrawn.
        Cancelled = "CANCELLED",
        /// By technical survey: searched and nothing found.
        Reduced = "REDUCED",
        /// By clearance: all EO removed or destroyed to the specified depth.
        Cleared = "CLEARED",
    }
}

code_list! {
    /// The state of an item of EO when found.
    EoCondition, "EO condition" {
        Armed = "ARMED",
        Unarmed = "UNARMED",
        Damaged = "DAMAGED",
        Unknown = "UNKNOWN",
    }
}

code_list! {
    /// What was done with an item of EO.
    Disposal, "disposal" {
        DestroyedInSitu = "DESTROYED_IN_SITU",
        RemovedAndDestroyed = "REMOVED_AND_DESTROYED",
        HandedOver = "HANDED_OVER",
    }
}

code_list! {
    /// Demining accident (a deminer at work) or mine/ERW incident (anyone else) [IMAS 10.60].
    AccidentKind, "accident kind" {
        DeminingAccident = "DEMINING_ACCIDENT",
        Incident = "INCIDENT",
    }
}

code_list! {
    /// What a victim was doing when the accident happened.
    ActivityAtTime, "activity at time of accident" {
        Demining = "DEMINING",
        Farming = "FARMING",
        Herding = "HERDING",
        Travelling = "TRAVELLING",
        Construction = "CONSTRUCTION",
        CollectingWood = "COLLECTING_WOOD",
        Tampering = "TAMPERING",
        Playing = "PLAYING",
        Other = "OTHER",
    }
}

code_list! {
    /// Killed or injured.
    VictimOutcome, "victim outcome" {
        Killed = "KILLED",
        Injured = "INJURED",
    }
}

code_list! {
    Sex, "sex" {
        Female = "FEMALE",
        Male = "MALE",
        Unknown = "UNKNOWN",
    }
}

code_list! {
    /// A victim's disability, as the minimum data requirements count it: none,
    /// one the accident caused (an amputation, loss of sight or hearing), or
    /// one the person had before.
    Disability, "disability" {
        NoDisability = "NONE",
        FromAccident = "FROM_ACCIDENT",
        PreExisting = "PRE_EXISTING",
    }
}

code_list! {
    /// The kind of victim assistance a follow-up records [IMAS 13.10].
    AssistanceKind, "assistance kind" {
        Medical = "MEDICAL",
        Rehabilitation = "REHABILITATION",
        Psychosocial = "PSYCHOSOCIAL",
        EconomicInclusion = "ECONOMIC_INCLUSION",
        Referral = "REFERRAL",
    }
}

code_list! {
    /// Where a follow-up stands: referred to a provider, under way, or done.
    AssistanceStatus, "assistance status" {
        Referred = "REFERRED",
        Ongoing = "ONGOING",
        Completed = "COMPLETED",
    }
}

code_list! {
    /// Who gave consent to a victim's data being kept and followed up: the
    /// person, a parent or guardian (for a child or a person who cannot), or
    /// the next of kin of a person killed.
    ConsentGiver, "consent given by" {
        Person = "SELF",
        Guardian = "GUARDIAN",
        NextOfKin = "NEXT_OF_KIN",
    }
}

code_list! {
    /// How consent was given.
    ConsentForm, "consent form" {
        Written = "WRITTEN",
        Verbal = "VERBAL",
    }
}

code_list! {
    /// The kind of explosive ordnance risk education.
    EoreKind, "EORE session kind" {
        Presentation = "PRESENTATION",
        CommunityLiaison = "COMMUNITY_LIAISON",
        Media = "MEDIA",
        Training = "TRAINING",
    }
}

code_list! {
    /// Who an EORE session was for.
    Audience, "EORE audience" {
        Community = "COMMUNITY",
        School = "SCHOOL",
        Returnees = "RETURNEES",
        Farmers = "FARMERS",
        Workers = "WORKERS",
    }
}

code_list! {
    /// Where a task stands.
    TaskStatus, "task status" {
        Issued = "ISSUED",
        InProgress = "IN_PROGRESS",
        Completed = "COMPLETED",
        Cancelled = "CANCELLED",
    }
}

code_list! {
    /// Where a field report stands: drafted in the browser, submitted for
    /// approval, and then approved or rejected; an approved report may be
    /// unapproved, which reverses its effects.
    ReportState, "report state" {
        Draft = "DRAFT",
        Submitted = "SUBMITTED",
        Approved = "APPROVED",
        Rejected = "REJECTED",
        Unapproved = "UNAPPROVED",
    }
}

code_list! {
    /// What a file attached to a report shows: a photograph (of the ground,
    /// a marking, a find, an injury), a scanned signed form, a sketch map
    /// drawn in the field, or the GPS track a team walked.
    AttachmentKind, "attachment kind" {
        Photo = "PHOTO",
        ScannedForm = "SCANNED_FORM",
        SketchMap = "SKETCH_MAP",
        GpsTrack = "GPS_TRACK",
    }
}

code_list! {
    /// What an attached file is, judged from its bytes (never from its name
    /// or from what the sender says it is): the only kinds of file the
    /// register keeps and serves.
    MediaType, "media type" {
        Jpeg = "JPEG",
        Png = "PNG",
        Pdf = "PDF",
        Gpx = "GPX",
        Kml = "KML",
    }
}

impl MediaType {
    /// The `Content-Type` the file is stored and served with.
    pub const fn mime(self) -> &'static str {
        match self {
            MediaType::Jpeg => "image/jpeg",
            MediaType::Png => "image/png",
            MediaType::Pdf => "application/pdf",
            MediaType::Gpx => "application/gpx+xml",
            MediaType::Kml => "application/vnd.google-earth.kml+xml",
        }
    }

    /// The media type a stored `Content-Type` names.
    pub fn from_mime(mime: &str) -> Option<MediaType> {
        MediaType::ALL.iter().copied().find(|m| m.mime() == mime)
    }

    /// The file name's extension a download is given.
    pub const fn extension(self) -> &'static str {
        match self {
            MediaType::Jpeg => "jpg",
            MediaType::Png => "png",
            MediaType::Pdf => "pdf",
            MediaType::Gpx => "gpx",
            MediaType::Kml => "kml",
        }
    }

    /// A picture a browser may show inline (and a thumbnail can be made of).
    pub const fn is_image(self) -> bool {
        matches!(self, MediaType::Jpeg | MediaType::Png)
    }
}

code_list! {
    /// How grave a non-conformity is [IMAS 07.12]: critical (people or
    /// released land put at risk), major (a standard or procedure not
    /// followed), minor (a lapse with no risk to the result).
    NcrGrade, "non-conformity grade" {
        Critical = "CRITICAL",
        Major = "MAJOR",
        Minor = "MINOR",
    }
}

code_list! {
    /// What a quality-management inspection looks at [IMAS 07.12]: a
    /// quality-assurance visit to work in progress (the site, its procedures
    /// and records), or the quality control of ground released (a sample of
    /// it searched again, IMAS 09.20).
    InspectionKind, "inspection kind" {
        QualityAssurance = "QA",
        QualityControl = "QC",
    }
}

code_list! {
    /// How urgent a task is.
    Priority, "task priority" {
        High = "HIGH",
        Medium = "MEDIUM",
        Low = "LOW",
    }
}

/// Joins a set of codes into the comma-separated text the register stores
/// (`"AP,AT"`), in code-list order and without duplicates.
pub fn join_codes<T: Copy + Ord + fmt::Display>(codes: &[T]) -> String {
    let mut sorted = codes.to_vec();
    sorted.sort();
    sorted.dedup();
    sorted.iter().map(|c| c.to_string()).collect::<Vec<_>>().join(",")
}

/// Splits stored comma-separated codes (`"AP,AT"`) back into a list.
pub fn split_codes<T: FromStr<Err = UnknownCode>>(text: &str) -> Result<Vec<T>, UnknownCode> {
    text.split(',').map(str::trim).filter(|s| !s.is_empty()).map(T::from_str).collect()
}

code_list! {
    /// What an organisation or a team is accredited to do [IMAS 07.30]: a
    /// clearance method, explosive ordnance disposal, or a kind of survey.
    Capability, "accredited capability" {
        Manual = "MANUAL",
        Mechanical = "MECHANICAL",
        /// Mine detection dogs.
        Dogs = "DOGS",
        Eod = "EOD",
        Nts = "NTS",
        Ts = "TS",
    }
}

code_list! {
    /// What an account is for. The authority's IM officers run the register;
    /// operators report on their own organisation's work; QM officers inspect;
    /// viewers (donors, partners) read it without personal data.
    Role, "role" {
        Administrator = "ADMINISTRATOR",
        ImOfficer = "IM_OFFICER",
        Operator = "OPERATOR",
        QmOfficer = "QM_OFFICER",
        Viewer = "VIEWER",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_parse_loosely() {
        for s in HazardStatus::ALL {
            assert_eq!(s.code().parse::<HazardStatus>(), Ok(*s));
        }
        assert_eq!("worked-on".parse::<HazardStatus>(), Ok(HazardStatus::WorkedOn));
        assert_eq!(" cha ".parse::<HazardKind>(), Ok(HazardKind::Cha));
    }

    #[test]
    fn unknown_code_names_the_list_and_the_choices() {
        let err = "MAYBE".parse::<ReleaseOutcome>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "'MAYBE' is not a valid release outcome; expected one of: CANCELLED, REDUCED, CLEARED"
        );
    }

    #[test]
    fn code_sets_are_sorted_and_deduplicated() {
        let s = join_codes(&[EoCategory::Uxo, EoCategory::Ap, EoCategory::Uxo]);
        assert_eq!(s, "AP,UXO");
        assert_eq!(split_codes::<EoCategory>(&s).unwrap(), vec![EoCategory::Ap, EoCategory::Uxo]);
        assert!(split_codes::<EoCategory>("AP,XYZ").is_err());
        assert!(split_codes::<EoCategory>("").unwrap().is_empty());
    }
}
