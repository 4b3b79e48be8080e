"""The stretch library as data: what each stretch checks, with the source of every number.

"SPEC" below means ../shared/SPEC.md, the project's analysis contract, whose stretch table
summarises the clinical sources the project was founded on. Adding a stretch means adding
an entry here; only a new *measure* needs new code. What a check is (its verdict, default
threshold and cue) is in the check registry, ``coach.rules.checks``; a stretch only names its
checks and sets its own threshold or wording where it differs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Literal

from coach.rules.checks import Posture, Sourced, get_check


@dataclass(frozen=True)
class Entry:
    """The stretch's own condition for being in position, on top of all checks being ok."""

    measure: Literal["trunk_inclination", "leg_raise"]
    minimum: Sourced

    def met(self, value: float) -> bool:
        """The entry measure ``value`` puts the person in the stretch (NaN: not seen, not in it)."""
        return math.isfinite(value) and value >= self.minimum.value


@dataclass(frozen=True)
class Advice:
    """Something the person is told before the stretch, with the measurement behind it."""

    text: str
    source: str


@dataclass(frozen=True)
class Stretch:
    id: str
    name: str
    posture: Posture
    how: str  # what the person does, in plain words (shown on the setup guide)
    checks: tuple[str, ...]  # names in the check registry, in the order the panel lists them
    entry: Entry
    hold_s: Sourced
    reps: Sourced
    rest_s: Sourced
    thresholds: dict[str, Sourced] = field(default_factory=dict)  # where the registry's default does not fit
    cues: dict[str, str] = field(default_factory=dict)  # corrections worded for this stretch
    entry_cue: str = ""  # shown while positioning; never asks to go further into pain
    ease_off: str = ""
    # What to wear so the coach can see the form: shown on the check-in, before the person
    # walks to their spot (issue 21: what it cannot see through, it cannot always tell).
    wear: Advice | None = None

    def __post_init__(self) -> None:
        for name in (*self.checks, *self.thresholds, *self.cues):
            get_check(name)  # a misspelt check fails at import, not mid-session

    def threshold(self, check: str) -> float:
        return self.thresholds.get(check, get_check(check).threshold).value

    def cue(self, check: str) -> str:
        return self.cues.get(check, get_check(check).cue)

    def with_prescription(self, hold_s: float | None = None, reps: int | None = None,
                          rest_s: float | None = None) -> "Stretch":
        """The same stretch with the person's own hold time, reps and rest."""
        changed = {}
        if hold_s is not None:
            changed["hold_s"] = Sourced(float(hold_s), "set by the user")
        if reps is not None:
            changed["reps"] = Sourced(float(reps), "set by the user")
        if rest_s is not None:
            changed["rest_s"] = Sourced(float(rest_s), "set by the user")
        return replace(self, **changed)


# Numbers shared by several stretches, each with its reason.
KNEE_SOFT = Sourced(145.0, "SPEC checks table: soft-knee variant faults below 145")
SEATED_LEAN = Sourced(10.0, "SPEC holds: seated stretches are in position from trunk_inclination >= 10")
LEG_RAISED = Sourced(45.0, "SPEC holds: lying stretches with a raised leg are in position from leg_raise >= 45")
REST_30 = Sourced(30.0, "SPEC stretch table, seated-chair: rest 30 s (one source)")

EASE_OFF = ("Feel a pull, never pain. If pain increases or spreads down your leg, ease off: "
            "come up a little or bend the knee slightly.")

SEATED_CHECKS: tuple[str, ...] = ("in_frame", "knee_extension", "hip_hinge", "steadiness")

# The back is read from the outline of the trunk, and loose fabric or long hair on the back
# hides it. Mostly the coach knows and says "I can't see the shape of your back" (and times
# nothing), but on the floor it was also wrong while sure (`coach evaluate --corpus probe`).
SEATED_WEAR = Advice(
    "Wear a fitted top and tie long hair up: through loose fabric or hair on your back I often "
    "can't see its shape, and then I can't time your hold.",
    "coach evaluate --corpus validation, 2026-12-07: the back judged in 0.92 of the hold frames in a "
    "tight top, 0.28 in a loose one, 0.44 in a layered one and 0.21 with long hair down the back")
FLOOR_WEAR = Advice(
    "Wear a fitted top and tie long hair up: on the floor, under long hair or a loose top, I can "
    "miss a rounded back.",
    "coach evaluate --corpus probe, 2026-12-07 (train people in clothes the models never saw them "
    "in): on the floor with long hair down the back, 3 of 5 clips timed 0.8-6.5 s of a hold on a "
    "back rounded 30-40 degrees, read as long")

STRETCHES: dict[str, Stretch] = {s.id: s for s in (
    Stretch(
        id="seated-chair",
        name="Seated hamstring stretch on a chair",
        posture="seated",
        how="Sit on the edge of a chair, one leg straight out with the heel on the floor, back "
            "straight. Lean forward from your hips until you feel a pull behind the thigh.",
        checks=SEATED_CHECKS,
        entry=Entry("trunk_inclination", SEATED_LEAN),
        hold_s=Sourced(30.0, "SPEC stretch table, seated-chair: hold 30 s (two sources)"),
        reps=Sourced(3, "SPEC stretch table, seated-chair: 3 times each leg (two sources)"),
        rest_s=REST_30,
        entry_cue="Keep your back long and lean forward from your hips until you feel a gentle pull",
        ease_off=EASE_OFF,
        wear=SEATED_WEAR,
    ),
    Stretch(
        id="seated-chair-soft-knee",
        name="Seated chair stretch, knee slightly bent",
        posture="seated",
        how="As the chair stretch, with a slight bend kept at the knee: the gentler variant.",
        checks=SEATED_CHECKS,
        entry=Entry("trunk_inclination", SEATED_LEAN),
        hold_s=Sourced(25.0, "SPEC stretch table, seated-chair-soft-knee: 20-30 s (middle)"),
        reps=Sourced(3, "SPEC stretch table, seated-chair-soft-knee: 2-3 reps"),
        rest_s=REST_30,
        thresholds={"knee_extension": KNEE_SOFT},
        cues={"knee_extension": "Straighten your knee a little more, keep just a slight bend"},
        entry_cue="Keep a slight bend in the knee and lean forward from your hips until you feel a gentle pull",
        ease_off=EASE_OFF,
        wear=SEATED_WEAR,
    ),
    Stretch(
        id="seated-floor",
        name="Seated floor stretch",
        posture="seated",
        how="Sit on the floor, leg straight, spine long. Lean forward from your hips.",
        checks=SEATED_CHECKS,
        entry=Entry("trunk_inclination", SEATED_LEAN),
        hold_s=Sourced(25.0, "SPEC stretch table, seated-floor: 20-30 s (middle)"),
        reps=Sourced(1, "SPEC stretch table, seated-floor: once, then the other leg"),
        rest_s=REST_30,
        # SPEC: no toe-pulling cue for people with sciatica symptoms (adds nerve tension).
        entry_cue="Sit tall and lean forward from your hips until you feel a gentle pull",
        ease_off=EASE_OFF,
        wear=FLOOR_WEAR,
    ),
    Stretch(
        id="supine-thigh-hold",
        name="Lying thigh hold",
        posture="lying",
        how="Lie on your back, hold the thigh behind the knee with the hip near 90 degrees, and "
            "slowly straighten the knee until you feel a stretch.",
        # The knee straightens only "until a stretch is felt": a bent knee is the stretch
        # done right here, so knee_extension is not checked.
        checks=("in_frame", "steadiness"),
        entry=Entry("leg_raise", Sourced(60.0, "project choice from SPEC stretch table, supine-thigh-hold: "
                                         "hip near 90 degrees; 60 allows for a thigh held a little lower")),
        hold_s=Sourced(20.0, "SPEC stretch table, supine-thigh-hold: start at 10 s, build to 20-30 s"),
        reps=Sourced(3, "SPEC stretch table, supine-thigh-hold: 2-3 reps"),
        rest_s=Sourced(20.0, "project choice: long enough to lower the leg and breathe"),
        entry_cue="Hold your thigh up near vertical and slowly straighten the knee until you feel a stretch",
        ease_off=EASE_OFF,
    ),
    Stretch(
        id="supine-strap",
        name="Lying strap stretch",
        posture="lying",
        how="Lie on your back with a strap or towel around the foot, knee straight, and raise the leg.",
        checks=("in_frame", "knee_extension", "other_leg_flat", "steadiness"),
        entry=Entry("leg_raise", LEG_RAISED),
        hold_s=Sourced(30.0, "SPEC stretch table, supine-strap: 30 s"),
        reps=Sourced(3, "SPEC stretch table, supine-strap: 3 times"),
        rest_s=Sourced(20.0, "project choice: long enough to lower the leg and breathe"),
        entry_cue="Keep the knee straight and raise the leg with the strap until you feel a gentle pull",
        ease_off=EASE_OFF,
    ),
    Stretch(
        id="supine-doorway",
        name="Doorway stretch",
        posture="lying",
        how="Lie with your buttocks at a door jamb, one leg up the wall, the other flat on the floor.",
        # Not "other leg flat": the leg on the floor lies through the doorway, out of the view
        # of a camera on the raised leg's side, and MediaPipe then draws it on top of the raised
        # one. On 3 of the train people's 5 doorway clips it read 56-80 degrees "lifted" (knee
        # and ankle visibility, median per hold, 0.13-0.52) with the leg flat, the coach said "keep your other leg
        # flat on the floor", and none of their 6 holds was timed (4 of 10 in all). Judged
        # unknown instead, it would start no hold either (SPEC holds). The wall and the floor
        # hold the legs in this stretch; the knee and the stillness are what is checked.
        checks=("in_frame", "knee_extension", "steadiness"),
        entry=Entry("leg_raise", LEG_RAISED),
        hold_s=Sourced(15.0, "SPEC stretch table, supine-doorway: 10-20 s (middle)"),
        reps=Sourced(3, "project choice: as the other lying stretches (SPEC gives no count)"),
        rest_s=Sourced(15.0, "project choice: long enough to lower the leg and breathe"),
        entry_cue="Rest the leg up the wall with the knee straight; move closer to the wall only while it stays a gentle pull",
        ease_off=EASE_OFF,
    ),
)}

# Shown before and after every session (issue #4: safety prompts are data the UI shows).
PAIN_QUESTIONS: tuple[tuple[str, str], ...] = (
    ("back_pain", "How is your back pain right now? (0 = none, 10 = worst imaginable)"),
    ("leg_pain", "How much pain do you feel down your leg? (0 = none, 10 = worst imaginable)"),
)
RED_FLAG_QUESTIONS: tuple[tuple[str, str], ...] = (
    ("numbness_saddle", "Numbness around your groin, buttocks or inner thighs?"),
    ("bladder_bowel", "New trouble controlling your bladder or bowels?"),
    ("leg_weakness", "Weakness in your leg or foot that is getting worse?"),
    ("pain_spreading", "Did the pain spread further down your leg during the stretch?"),
)
RED_FLAG_ADVICE = ("Stop stretching and see a doctor. Numbness in the groin or saddle area, new bladder "
                   "or bowel trouble, or growing weakness in a leg need urgent medical care.")
PAIN_WORSE_ADVICE = ("Your pain is worse than before the session. Ease off: shorter, gentler holds next "
                     "time, and see a doctor or physiotherapist if it does not settle.")


def get_stretch(stretch_id: str) -> Stretch:
    try:
        return STRETCHES[stretch_id]
    except KeyError:
        raise ValueError(f"unknown exercise {stretch_id!r}; choose one of: {', '.join(STRETCHES)}") from None
