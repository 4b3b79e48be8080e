"""Every sample clip as data: who stretches, how, where the camera is, and a timeline.

A timeline is a list of segments; each eases the pose from where the previous one left
it to its own targets (cosine easing) and may add an oscillation (sway or bounce) on top.
Pose values, all degrees unless said otherwise:

- ``lean``: seated trunk inclination as a pure hip hinge would give it. With ``spine`` > 0
  the renderer tilts the pelvis back so that the shoulders reach the SAME inclination,
  so a rounded back and a hinge read alike on hip angle and trunk inclination.
- ``spine``: total spine flexion beyond neutral, spread over the five spine bones.
- ``knee``: flexion of the stretched knee (0 = straight, 90 = bent like sitting).
- ``raise``: lying stretches, flexion of the stretched hip (90 = thigh vertical).
- ``head``: neck flexion (looking down at the foot is not rounding).
- ``shift``: metres the body has moved backward (used to leave the frame).
- ``arms``: lying stretches, 0 arms on the floor, 1 hands behind the thigh / on the strap;
  seated, degrees the arms reach further forward than the default hang (negative: hands
  back on the thighs, positive: down the shins or resting on the knee).
- ``tilt``: seated, how the pelvis answers a rounding spine: 0 tilts it back so the trunk
  inclination stays that of the hinge (the hard case), 1 leaves it so the shoulders drop
  further forward, negative tilts it back further still.

``render.py`` turns a clip into video plus ground truth; nothing here imports render deps.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Side = Literal["left", "right"]
Phase = Literal["setup", "positioning", "holding", "rest", "done"]
RGB = tuple[float, float, float]

SEATED = ("seated-chair", "seated-chair-soft-knee", "seated-floor")
LYING = ("supine-thigh-hold", "supine-strap", "supine-doorway")
POSE_KEYS = ("lean", "spine", "knee", "raise", "head", "shift", "arms", "tilt")


@dataclass(frozen=True)
class Subject:
    name: str
    sex: Literal["female", "male"]
    age_years: int
    # anny phenotype parameters, 0..1 (gender 0 female .. 1 male; age 0.5 = 25 y, 1 = 90 y).
    phenotype: dict[str, float]
    skin: RGB
    shirt: RGB
    trousers: RGB
    shoes: RGB
    hair: RGB
    long_sleeves: bool = False


@dataclass(frozen=True)
class Camera:
    """Side-on camera. ``side`` says which body side faces it relative to the stretched leg."""

    side: Literal["near", "far"] = "near"
    height: float = 0.85  # metres above the floor
    distance: float = 2.2  # metres from the framing centre, horizontally (at least)
    yaw: float = 0.0  # degrees off side-on, positive toward the person's front
    yfov: float = 50.0


@dataclass(frozen=True)
class Lighting:
    intensity: float = 3.2
    azimuth: float = 35.0  # degrees from the camera axis toward the person's front
    elevation: float = 50.0
    ambient: float = 0.35


@dataclass(frozen=True)
class Room:
    """The set's colours and what the person sits or lies on."""

    wall: RGB = (0.80, 0.78, 0.72)
    floor: RGB = (0.55, 0.40, 0.27)
    # seated-chair: "chair" or "bed" (a bed edge: wide, deep, no backrest);
    # seated-floor and lying: "mat" or "floor" (no mat).
    support: str = "default"
    support_colour: RGB | None = None


@dataclass(frozen=True)
class Wardrobe:
    """What the person wears beyond the clothes painted on the skin, as geometry (scene.py).

    The defaults are the painted clothes alone (every clip before issue 21). Nothing here
    moves the truth: keypoints and angles are the body's, under the fabric and hair.
    """

    # "tight": painted only; "loose": a shell over the trunk and upper arms standing
    # ``looseness`` off the body (more at the hem and belly, less on the shoulders);
    # "hoodie": loose plus a hood lying down on the upper back; "layered": an open overshirt
    # (``layer_colour``) as a loose shell over the painted T-shirt, open at the front.
    top: Literal["tight", "loose", "hoodie", "layered"] = "tight"
    # "short": painted on the head; "long-back": loose hair lying on the upper back;
    # "long-forward": loose hair hanging from the head by gravity (falls forward when leaning);
    # "ponytail": a tied tail from the back of the head hanging by gravity.
    hair: Literal["short", "long-back", "long-forward", "ponytail"] = "short"
    looseness: float = 0.035  # metres, the shell's typical stand-off (2-6 cm over the body)
    hood: tuple[float, float, float] = (0.27, 0.20, 0.09)  # width, height, thickness, metres
    hair_length: float = 0.30  # metres below the back of the head
    layer_colour: RGB | None = None

    @property
    def label(self) -> str:
        """A short name of the condition, e.g. "hoodie + long-back" (for reports)."""
        parts = [p for p in (self.top if self.top != "tight" else "", self.hair if self.hair != "short" else "") if p]
        return " + ".join(parts) or "tight"


@dataclass(frozen=True)
class Webcam:
    """A cheap webcam, applied to each rendered frame before encoding (render.degrade)."""

    noise: float = 6.0  # sensor noise: Gaussian sigma in 8-bit levels on luminance (chroma a third)
    blur: float = 1.2  # soft focus: Gaussian sigma in pixels at 640 wide (scaled with the width)
    gain: float = 0.2  # exposure hunting: gain 1 +- gain ...
    gain_period: float = 5.0  # ... as a sinusoid of this period, seconds
    crf: int = 36  # heavy compression (the clean clips use CRF 28)


@dataclass(frozen=True)
class Segment:
    seconds: float
    phase: Phase
    pose: dict[str, float] = field(default_factory=dict)
    oscillation_pp: float = 0.0  # peak-to-peak degrees on lean (seated) or raise (lying)
    oscillation_hz: float = 0.0


@dataclass(frozen=True)
class Clip:
    name: str
    stretch: str
    side: Side
    subject: Subject
    camera: Camera
    lighting: Lighting
    timeline: tuple[Segment, ...]
    seed: int
    shows: str
    start: dict[str, float] = field(default_factory=dict)
    faults: tuple[str, ...] = ()
    room: Room = Room()
    width: int = 640
    height: int = 480
    fps: int = 15
    wardrobe: Wardrobe = Wardrobe()
    webcam: Webcam | None = None

    @property
    def seconds(self) -> float:
        return sum(s.seconds for s in self.timeline)


# --- subjects --------------------------------------------------------------------------

ANA = Subject(
    name="ana", sex="female", age_years=25,
    phenotype={"gender": 0.0, "age": 0.5, "muscle": 0.5, "weight": 0.45, "height": 0.45, "proportions": 0.5},
    skin=(0.86, 0.66, 0.53), shirt=(0.10, 0.55, 0.55), trousers=(0.16, 0.16, 0.20),
    shoes=(0.92, 0.92, 0.92), hair=(0.22, 0.13, 0.07),
)
BEN = Subject(
    name="ben", sex="male", age_years=58,
    phenotype={"gender": 1.0, "age": 0.78, "muscle": 0.45, "weight": 0.72, "height": 0.6, "proportions": 0.5},
    skin=(0.78, 0.56, 0.42), shirt=(0.62, 0.14, 0.14), trousers=(0.16, 0.23, 0.42),
    shoes=(0.10, 0.08, 0.07), hair=(0.55, 0.55, 0.55),
)
CHIDI = Subject(
    name="chidi", sex="male", age_years=34,
    phenotype={"gender": 1.0, "age": 0.6, "muscle": 0.75, "weight": 0.4, "height": 0.72, "proportions": 0.6},
    skin=(0.36, 0.23, 0.15), shirt=(0.90, 0.75, 0.20), trousers=(0.08, 0.08, 0.09),
    shoes=(0.85, 0.20, 0.15), hair=(0.05, 0.04, 0.04),
)
DORA = Subject(
    name="dora", sex="female", age_years=68,
    phenotype={"gender": 0.0, "age": 0.88, "muscle": 0.35, "weight": 0.6, "height": 0.3, "proportions": 0.4},
    skin=(0.93, 0.78, 0.68), shirt=(0.58, 0.50, 0.78), trousers=(0.72, 0.64, 0.50),
    shoes=(0.30, 0.22, 0.16), hair=(0.85, 0.85, 0.82),
)

SIDE_ON = Camera()
FAR_SIDE = Camera(side="far")
SOFT_LIGHT = Lighting()
WARM_LIGHT = Lighting(intensity=2.8, azimuth=-20.0, elevation=60.0, ambient=0.45)

# --- timelines -------------------------------------------------------------------------

HOLD_SWAY = dict(oscillation_pp=1.0, oscillation_hz=0.25)  # a person never holds perfectly still
SIT = {"lean": 0.0, "spine": 0.0, "knee": 90.0, "head": 5.0}


def seated_intro(knee: float = 0.0) -> list[Segment]:
    return [
        Segment(2.0, "setup", {}),
        Segment(2.0, "positioning", {"knee": knee}),
    ]


def seated_outro(knee_end: float = 90.0) -> list[Segment]:
    return [
        Segment(3.0, "rest", {"lean": 0.0, "spine": 0.0, "head": 5.0}),
        Segment(2.0, "done", {"knee": knee_end}),
    ]


def hinge(lean: float, seconds: float = 3.0) -> Segment:
    return Segment(seconds, "positioning", {"lean": lean, "head": 18.0})


def hold(seconds: float, **pose: float) -> Segment:
    return Segment(seconds, "holding", dict(pose), **HOLD_SWAY)


def good_seated(lean: float = 32.0, hold_s: float = 25.0, knee: float = 0.0) -> tuple[Segment, ...]:
    return (*seated_intro(knee), hinge(lean), hold(hold_s), *seated_outro())


def lying(raise_: float, knee: float, hold_s: float, arms: float, bent_raise: bool) -> tuple[Segment, ...]:
    """Lie flat, lift the leg (bent first if ``bent_raise``), straighten, hold, lower."""
    segments = [Segment(2.0, "setup", {})]
    if bent_raise:
        segments += [
            Segment(3.0, "positioning", {"raise": raise_, "knee": 90.0, "arms": arms}),
            Segment(4.0, "positioning", {"knee": knee}),
        ]
    else:
        segments += [Segment(4.0, "positioning", {"raise": raise_, "knee": knee, "arms": arms})]
    segments += [
        hold(hold_s),
        Segment(3.0, "rest", {"raise": 0.0, "knee": 0.0, "arms": 0.0}),
        Segment(1.5, "done", {}),
    ]
    return tuple(segments)


LYING_START = {"raise": 0.0, "knee": 0.0, "arms": 0.0, "head": 0.0}

CLIPS: tuple[Clip, ...] = (
    Clip(
        "seated-chair_left_good", "seated-chair", "left", ANA, SIDE_ON, SOFT_LIGHT,
        good_seated(32.0, 25.0), seed=101, start=SIT,
        shows="textbook hinge from the hips, knee straight, 25 s hold with a 1 degree sway",
    ),
    Clip(
        "seated-chair_right_far-side", "seated-chair", "right", BEN, FAR_SIDE, WARM_LIGHT,
        good_seated(28.0, 25.0), seed=102, start=SIT,
        shows="good hold filmed from the far side: the stretched leg is behind the other one",
    ),
    Clip(
        "seated-chair_left_bent-knee", "seated-chair", "left", CHIDI, SIDE_ON, SOFT_LIGHT,
        (*seated_intro(), hinge(32.0), hold(12.0),
         Segment(1.5, "holding", {"knee": 40.0}, **HOLD_SWAY), hold(5.0),
         Segment(1.5, "holding", {"knee": 0.0}, **HOLD_SWAY), hold(12.0), *seated_outro()),
        seed=103, start=SIT, faults=("bent knee",),
        shows="clean hold, then the knee bends to about 140 degrees for 5 s, then straightens and holds",
    ),
    Clip(
        "seated-chair_right_rounded-back", "seated-chair", "right", ANA, SIDE_ON, SOFT_LIGHT,
        (*seated_intro(), hinge(32.0), hold(12.0),
         Segment(3.0, "holding", {"spine": 45.0, "head": 10.0}, **HOLD_SWAY), hold(8.0),
         Segment(3.0, "holding", {"spine": 0.0, "head": 18.0}, **HOLD_SWAY), hold(12.0), *seated_outro()),
        seed=104, start=SIT, faults=("rounded back",),
        shows="hinge hold, then the pelvis tilts back and the spine rounds 45 degrees at the SAME trunk "
        "inclination (the hard case), then back to a hinge",
    ),
    Clip(
        "seated-chair_left_progressive-rounding", "seated-chair", "left", BEN, SIDE_ON, SOFT_LIGHT,
        (*seated_intro(), hinge(30.0), hold(8.0),
         Segment(15.0, "holding", {"spine": 50.0, "head": 8.0}, **HOLD_SWAY),
         Segment(3.0, "holding", {"spine": 0.0, "head": 18.0}, **HOLD_SWAY), hold(10.0), *seated_outro()),
        seed=105, start=SIT, faults=("progressive rounding",),
        shows="hinge hold, then the back rounds slowly 0 -> 50 degrees over 15 s at constant trunk "
        "inclination, recovers and holds again",
    ),
    Clip(
        "seated-chair_right_bouncing", "seated-chair", "right", CHIDI, SIDE_ON, WARM_LIGHT,
        (*seated_intro(), hinge(30.0), hold(10.0),
         Segment(6.0, "holding", {}, oscillation_pp=9.0, oscillation_hz=1.0), hold(12.0), *seated_outro()),
        seed=106, start=SIT, faults=("bouncing",),
        shows="hold, then 6 s of bouncing (9 degrees peak to peak at 1 Hz), then a steady hold",
    ),
    Clip(
        "seated-chair_left_leaves-frame", "seated-chair", "left", DORA, SIDE_ON, SOFT_LIGHT,
        (*seated_intro(), hinge(30.0), hold(10.0),
         Segment(2.0, "positioning", {"shift": 2.6}), Segment(3.0, "positioning", {}),
         Segment(2.0, "positioning", {"shift": 0.0}), hold(12.0), *seated_outro()),
        seed=107, start=SIT, faults=("leaves the frame",),
        shows="hold, then the body slides out of view for 3 s and comes back into the same hold",
    ),
    Clip(
        "seated-chair_right_upright-no-lean", "seated-chair", "right", DORA, FAR_SIDE, WARM_LIGHT,
        (*seated_intro(), Segment(25.0, "positioning", {}, **HOLD_SWAY), *seated_outro()),
        seed=108, start=SIT, faults=("no lean",),
        shows="sits upright with the leg straight and never leans: no hold may start",
    ),
    Clip(
        "seated-chair_left_yaw20", "seated-chair", "left", CHIDI, Camera(yaw=20.0, height=0.95), SOFT_LIGHT,
        good_seated(32.0, 22.0), seed=109, start=SIT,
        shows="good hold with the camera turned 20 degrees toward the person's front",
    ),
    Clip(
        "seated-chair-soft-knee_right_good", "seated-chair-soft-knee", "right", DORA, SIDE_ON, SOFT_LIGHT,
        good_seated(26.0, 22.0, knee=20.0), seed=110, start=SIT,
        shows="gentler variant: knee kept about 20 degrees bent, hinge and 22 s hold",
    ),
    Clip(
        "seated-floor_left_good", "seated-floor", "left", BEN, Camera(height=0.7, distance=2.0), SOFT_LIGHT,
        (Segment(2.0, "setup", {}), hinge(28.0, 4.0), hold(22.0),
         Segment(3.0, "rest", {"lean": 0.0, "head": 5.0}), Segment(1.5, "done", {})),
        seed=111, start={"lean": 0.0, "spine": 0.0, "knee": 0.0, "head": 5.0},
        shows="long sit on a mat, both legs straight, toes pulled back, hinge and 22 s hold",
    ),
    Clip(
        "supine-thigh-hold_right_good", "supine-thigh-hold", "right", CHIDI, Camera(height=0.55, distance=2.5), SOFT_LIGHT,
        lying(90.0, 4.0, 22.0, arms=1.0, bent_raise=True), seed=112, start=LYING_START,
        shows="lying, thigh held at 90 degrees, knee straightened to about 175, 22 s hold",
    ),
    Clip(
        "supine-strap_left_good", "supine-strap", "left", ANA, Camera(height=0.55, distance=2.5), WARM_LIGHT,
        lying(65.0, 0.0, 25.0, arms=1.0, bent_raise=False), seed=113, start=LYING_START,
        shows="lying, straight leg raised to 65 degrees with a strap round the foot, 25 s hold",
    ),
    Clip(
        "supine-doorway_right_good", "supine-doorway", "right", BEN, Camera(side="far", height=0.6, distance=2.6), SOFT_LIGHT,
        lying(85.0, 0.0, 20.0, arms=0.0, bent_raise=False), seed=114, start=LYING_START,
        shows="lying in a doorway, leg up the door jamb at 85 degrees, other leg flat, 20 s hold "
        "(filmed from the far side)",
    ),
    Clip(
        "seated-chair_left_short", "seated-chair", "left", ANA, SIDE_ON, SOFT_LIGHT,
        (Segment(0.5, "positioning", {}), hold(2.0)),
        seed=199, start={"lean": 28.0, "spine": 0.0, "knee": 0.0, "head": 18.0},
        shows="2.5 s fixture for the re-render test (tests/test_sample_videos.py)",
    ),
)

BY_NAME = {clip.name: clip for clip in CLIPS}
