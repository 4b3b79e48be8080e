"""The training and validation corpus as data: 24 bodies, 12 clothing schemes, random rooms,
cameras and movements, every clip derived from one seed (nothing here imports render deps).

The sample clips (clips.py) are four people and hand-written scripts; the coach was tuned on
them, so they cannot say how it does on anyone else. This corpus is drawn at random from the
ranges a home user brings (issue 11): age 20-80, both sexes, slim to heavy, short to tall;
low-contrast clothing against the wall both ways; light 40-120 %; camera 2.0-3.5 m away,
0.5-1.4 m high, yawed up to 20 degrees; 640x480 and 1280x720; 15 and 30 fps; chair, bed
edge, floor and mat. The movements cover knee 120-180 degrees, hinges of 15-40 degrees,
spine flexion up to 55 degrees with the pelvis tilting either way and the head up or down,
looking down at the foot with a neutral spine, hands on thighs, shins or the knee, bounces of
4-12 degrees peak to peak at 0.5-2 Hz, and slow settling in the seat that is not bouncing.

**Split by person.** A quarter of the bodies, with their clothing, are the validation set
(``VALIDATION_BODIES``): nothing may be fitted or tuned on their clips. The two low-contrast
schemes appear in both halves, on different people.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import replace

from clips import LYING_START, SIT, Camera, Clip, Lighting, Room, Segment, Subject, Wardrobe, Webcam

SEED = 2026
N_BODIES = 24
VALIDATION_BODIES = frozenset({0, 5, 10, 13, 18, 23})
BASE_LIGHT = Lighting().intensity

# (name, shirt, trousers, long sleeves, wall, floor): the first two are the low-contrast
# cases (issue 11: white on off-white, black on dark grey); scheme = body index mod 12.
CLOTHING: tuple[tuple[str, tuple, tuple, bool, tuple, tuple], ...] = (
    ("white on off-white", (0.93, 0.93, 0.91), (0.85, 0.84, 0.80), False, (0.90, 0.89, 0.85), (0.72, 0.66, 0.58)),
    ("black on dark grey", (0.07, 0.07, 0.08), (0.10, 0.10, 0.11), True, (0.22, 0.22, 0.23), (0.30, 0.26, 0.22)),
    ("grey on grey", (0.50, 0.50, 0.52), (0.30, 0.30, 0.33), False, (0.58, 0.58, 0.58), (0.45, 0.35, 0.25)),
    ("navy long sleeves, beige wall", (0.12, 0.16, 0.35), (0.20, 0.20, 0.22), True, (0.82, 0.76, 0.64), (0.55, 0.40, 0.27)),
    ("red T-shirt, jeans", (0.70, 0.12, 0.12), (0.18, 0.26, 0.45), False, (0.80, 0.78, 0.72), (0.55, 0.40, 0.27)),
    ("green long sleeves, khaki", (0.20, 0.45, 0.25), (0.55, 0.50, 0.35), True, (0.85, 0.85, 0.82), (0.40, 0.30, 0.22)),
    ("beige on beige", (0.80, 0.72, 0.58), (0.55, 0.48, 0.38), True, (0.78, 0.72, 0.60), (0.50, 0.38, 0.26)),
    ("yellow shirt, black trousers", (0.90, 0.78, 0.20), (0.08, 0.08, 0.09), False, (0.70, 0.75, 0.80), (0.35, 0.30, 0.28)),
    ("charcoal hoodie, white wall", (0.20, 0.20, 0.22), (0.15, 0.15, 0.17), True, (0.95, 0.95, 0.95), (0.60, 0.50, 0.40)),
    ("pink shirt, light blue wall", (0.90, 0.62, 0.70), (0.35, 0.35, 0.40), False, (0.68, 0.80, 0.90), (0.55, 0.45, 0.35)),
    ("olive on dark green", (0.35, 0.38, 0.20), (0.25, 0.22, 0.18), True, (0.22, 0.32, 0.25), (0.35, 0.28, 0.20)),
    ("white shirt, dark wall", (0.93, 0.93, 0.93), (0.20, 0.22, 0.30), False, (0.25, 0.25, 0.30), (0.45, 0.35, 0.25)),
)
SKIN = ((0.93, 0.78, 0.68), (0.86, 0.66, 0.53), (0.78, 0.56, 0.42), (0.60, 0.42, 0.30), (0.36, 0.23, 0.15))
HAIR = ((0.05, 0.04, 0.04), (0.22, 0.13, 0.07), (0.45, 0.30, 0.15), (0.70, 0.55, 0.30))
SHOES = ((0.92, 0.92, 0.92), (0.10, 0.08, 0.07), (0.30, 0.22, 0.16), (0.20, 0.25, 0.45))


def age_parameter(years: float) -> float:
    """anny's age axis: 0.5 is 25 years, 1.0 is 90 (the sample subjects: 68 y -> 0.88)."""
    return 0.5 + (years - 25.0) / 65.0 * 0.5 if years >= 25 else 0.5 - (25.0 - years) * 0.015


def body(index: int) -> Subject:
    rng = random.Random(SEED * 1000 + index)
    sex = "female" if index % 2 == 0 else "male"
    years = rng.randint(20, 80)
    name, shirt, trousers, long_sleeves, _, _ = CLOTHING[index % len(CLOTHING)]
    hair = (0.75, 0.75, 0.72) if years > 58 and rng.random() < 0.7 else rng.choice(HAIR)
    return Subject(
        name=f"body{index:02d}", sex=sex, age_years=years,
        phenotype={
            "gender": 0.0 if sex == "female" else 1.0, "age": round(age_parameter(years), 3),
            "muscle": round(rng.uniform(0.3, 0.8), 3), "weight": round(rng.uniform(0.2, 0.9), 3),
            "height": round(rng.uniform(0.15, 0.9), 3), "proportions": round(rng.uniform(0.4, 0.6), 3),
        },
        skin=rng.choice(SKIN), shirt=shirt, trousers=trousers, shoes=rng.choice(SHOES), hair=hair,
        long_sleeves=long_sleeves,
    )


def split_of(index: int) -> str:
    return "validation" if index in VALIDATION_BODIES else "train"


# --- movements -------------------------------------------------------------------------

def _hold(seconds: float, **pose: float) -> Segment:
    return Segment(seconds, "holding", dict(pose), oscillation_pp=1.0, oscillation_hz=0.25)


def seated_script(rng: random.Random, kind: str, floor: bool, soft: bool, ramp_s: tuple[float, float] = (2.0, 6.0)
                  ) -> tuple[tuple[Segment, ...], str, tuple[str, ...]]:
    """Sit upright, straighten the knee, hinge, hold, one event of ``kind``, hold, sit up.
    A rounding takes ``ramp_s`` seconds (drawn uniformly) to reach its depth."""
    lean = rng.uniform(15.0, 40.0)
    head = rng.uniform(8.0, 22.0)
    arms = rng.uniform(-20.0, 15.0)
    knee0 = rng.uniform(15.0, 25.0) if soft else rng.uniform(0.0, 4.0)
    hold_pose = {"lean": lean, "head": head, "arms": arms}
    segs = [Segment(rng.uniform(1.5, 2.0), "setup", {})]
    if not floor:
        segs.append(Segment(2.0, "positioning", {"knee": knee0}))
    segs += [Segment(rng.uniform(2.0, 3.0), "positioning", hold_pose), _hold(rng.uniform(3.5, 5.0))]
    faults: tuple[str, ...] = ()
    if kind == "round":
        spine = rng.uniform(30.0, 55.0)
        tilt = rng.choice((rng.uniform(-0.4, 0.0), rng.uniform(0.0, 1.0), 0.0))
        head_r = rng.choice((rng.uniform(0.0, 6.0), rng.uniform(25.0, 40.0)))
        ramp = rng.uniform(*ramp_s)
        segs += [Segment(ramp, "holding", {"spine": spine, "tilt": tilt, "head": head_r}, 1.0, 0.25),
                 _hold(rng.uniform(3.0, 4.5)),
                 Segment(rng.uniform(2.0, 3.0), "holding", {"spine": 0.0, "head": head}, 1.0, 0.25)]
        shows = f"rounds the back to {spine:.0f} degrees over {ramp:.0f} s (pelvis tilt {tilt:+.1f}, head {head_r:.0f})"
        faults = ("rounded back",)
    elif kind == "mild-round":
        # Within what is still a long back (the labels' ok margin is under 10): must not be
        # flagged, and must not split the hold. (A borderline 10-30 would leave the truth's
        # hold split by "unsure" frames, where either verdict is right: unscorable.)
        spine = rng.uniform(4.0, 8.0)
        segs += [Segment(3.0, "holding", {"spine": spine}, 1.0, 0.25), _hold(4.0),
                 Segment(2.0, "holding", {"spine": 0.0}, 1.0, 0.25)]
        shows = f"rounds a little, {spine:.0f} degrees (still a long back), and straightens"
    elif kind == "knee":
        bend = rng.uniform(25.0, 60.0) if not soft else rng.uniform(45.0, 60.0)
        segs += [Segment(1.5, "holding", {"knee": bend}, 1.0, 0.25), _hold(rng.uniform(3.0, 5.0)),
                 Segment(1.5, "holding", {"knee": knee0}, 1.0, 0.25)]
        shows = f"bends the knee by {bend:.0f} degrees and straightens it"
        faults = ("bent knee",)
    elif kind == "bounce":
        pp, hz = rng.uniform(4.0, 12.0), rng.uniform(0.5, 2.0)
        segs.append(Segment(rng.uniform(5.0, 6.5), "holding", {}, pp, hz))
        shows = f"bounces {pp:.0f} degrees peak to peak at {hz:.1f} Hz"
        faults = ("bouncing",)
    elif kind == "settle":
        delta = rng.choice((-1, 1)) * rng.uniform(4.0, 8.0)
        segs += [Segment(3.0, "holding", {"lean": lean + delta}, 1.0, 0.25), _hold(2.0)]
        shows = f"settles once, {delta:+.0f} degrees of lean over 3 s (not bouncing)"
    elif kind == "look-down":
        segs += [Segment(2.0, "holding", {"head": rng.uniform(35.0, 45.0)}, 1.0, 0.25), _hold(4.0),
                 Segment(2.0, "holding", {"head": head}, 1.0, 0.25)]
        shows = "looks down at the foot with a neutral spine"
    elif kind == "hand-on-knee":
        segs += [Segment(2.0, "holding", {"arms": rng.uniform(25.0, 40.0)}, 1.0, 0.25), _hold(4.0),
                 Segment(2.0, "holding", {"arms": arms}, 1.0, 0.25)]
        shows = "reaches a hand down to rest on the straight knee"
    else:
        raise ValueError(kind)
    segs += [_hold(rng.uniform(3.5, 5.0)), Segment(2.0, "rest", {"lean": 0.0, "spine": 0.0, "head": 5.0})]
    return tuple(segs), shows, faults


def lying_script(rng: random.Random, stretch: str, kind: str) -> tuple[tuple[Segment, ...], str, tuple[str, ...]]:
    raise_ = {"supine-thigh-hold": 90.0, "supine-strap": rng.uniform(55.0, 75.0),
              "supine-doorway": rng.uniform(75.0, 88.0)}[stretch]
    knee = rng.uniform(2.0, 6.0) if stretch == "supine-thigh-hold" else 0.0
    arms = 0.0 if stretch == "supine-doorway" else 1.0
    segs = [Segment(1.5, "setup", {})]
    if stretch == "supine-thigh-hold":
        segs += [Segment(3.0, "positioning", {"raise": raise_, "knee": 90.0, "arms": arms}),
                 Segment(3.0, "positioning", {"knee": knee})]
    else:
        segs.append(Segment(3.5, "positioning", {"raise": raise_, "knee": knee, "arms": arms}))
    segs.append(_hold(rng.uniform(4.0, 5.0)))
    faults: tuple[str, ...] = ()
    if kind == "knee":
        bend = rng.uniform(30.0, 55.0)
        segs += [Segment(1.5, "holding", {"knee": bend}, 1.0, 0.25), _hold(3.0),
                 Segment(1.5, "holding", {"knee": knee}, 1.0, 0.25)]
        shows, faults = f"lying, bends the raised knee by {bend:.0f} degrees", ("bent knee",)
    elif kind == "bounce":
        pp, hz = rng.uniform(5.0, 12.0), rng.uniform(0.5, 1.5)
        segs.append(Segment(5.0, "holding", {}, pp, hz))
        shows, faults = f"lying, pulls the leg in {pp:.0f} degrees peak to peak at {hz:.1f} Hz", ("bouncing",)
    else:
        shows = "lying, a steady hold"
    # Lowering the leg with a bent knee ends the stretch (issue 11: not bouncing).
    segs += [_hold(rng.uniform(3.5, 5.0)),
             Segment(3.0, "rest", {"raise": 40.0, "knee": 80.0, "arms": 0.0}),
             Segment(2.0, "rest", {"raise": 0.0, "knee": 0.0})]
    return tuple(segs), f"{stretch}: {shows}", faults


SEATED_KINDS = ("knee", "knee", "bounce", "bounce", "settle", "look-down", "hand-on-knee", "round")


def clip_for(index: int, take: int) -> Clip:
    """Body ``index``'s clip number ``take`` (0: a seated-chair back clip, 1: anything)."""
    subject = body(index)
    rng = random.Random(SEED * 100_000 + index * 10 + take)
    _, _, _, _, wall, floor = CLOTHING[index % len(CLOTHING)]
    if take == 2:  # a knee that bends mid-hold, seated (the first 48 clips had none in the train split)
        stretch, kind = "seated-chair", "knee"
    elif take == 0:
        stretch = "seated-chair-soft-knee" if rng.random() < 0.15 else "seated-chair"
        kind = rng.choice(("round", "round", "round", "look-down", "mild-round"))
    else:
        stretch = rng.choice(("seated-chair", "seated-chair", "seated-chair", "seated-floor",
                              "supine-thigh-hold", "supine-strap", "supine-doorway"))
        kind = (rng.choice(SEATED_KINDS) if stretch.startswith("seated")
                else rng.choice(("knee", "bounce", "steady")))
    side = rng.choice(("left", "right"))
    lying = stretch.startswith("supine")
    if lying:
        timeline, shows, faults = lying_script(rng, stretch, kind)
    else:
        timeline, shows, faults = seated_script(rng, kind, stretch == "seated-floor", stretch == "seated-chair-soft-knee")
    return _filmed(rng, index, take, stretch, side, kind, timeline, shows, faults, fps30=0.3)


def _filmed(rng: random.Random, index: int, take: int, stretch: str, side: str, kind: str,
            timeline: tuple[Segment, ...], shows: str, faults: tuple[str, ...], fps30: float,
            tag: str = "", support: str | None = None) -> Clip:
    """The clip of a script: support, camera, light, frame size and rate drawn from ``rng``
    (in the order the first 56 clips drew them: they must not change)."""
    subject = body(index)
    _, _, _, _, wall, floor = CLOTHING[index % len(CLOTHING)]
    lying = stretch.startswith("supine")
    if lying:
        start = LYING_START
        drawn = rng.choice(("mat", "floor"))
        height = rng.uniform(0.5, 0.9)
    else:
        floor_sit = stretch == "seated-floor"
        start = {"lean": 0.0, "spine": 0.0, "knee": 0.0, "head": 5.0} if floor_sit else SIT
        drawn = rng.choice(("mat", "floor")) if floor_sit else rng.choice(("chair", "chair", "bed"))
        height = rng.uniform(0.5, 1.4)
    yaw = rng.uniform(-20.0, 20.0) if rng.random() < 0.5 else rng.uniform(-8.0, 8.0)
    camera = Camera(side="near" if rng.random() < 0.75 else "far", height=round(height, 2),
                    distance=round(rng.uniform(2.0, 3.5), 2), yaw=round(yaw, 1))
    lighting = Lighting(intensity=round(BASE_LIGHT * rng.uniform(0.4, 1.2), 2), azimuth=rng.uniform(-30.0, 45.0),
                        elevation=rng.uniform(35.0, 65.0), ambient=round(rng.uniform(0.2, 0.45), 2))
    hd = rng.random() < 0.25
    fps = 30 if rng.random() < fps30 else 15
    name = f"{subject.name}-{take}_{stretch}_{side}_{tag + '_' if tag else ''}{kind}"
    return replace(
        Clip(name, stretch, side, subject, camera, lighting, timeline, seed=SEED + index * 10 + take,
             shows=shows, start=start, faults=faults),
        room=Room(wall=wall, floor=floor, support=support or drawn),
        width=1280 if hd else 640, height=720 if hd else 480, fps=fps,
    )


# A third clip, a seated bent knee, for these bodies: 6 train and 2 validation people, so the
# knee model sees knees bent mid-hold and is scored on others' (added after the first 48 clips
# left the train split with no seated knee bend at all).
KNEE_BODIES = (1, 3, 7, 9, 15, 20, 13, 18)


# --- what people wear, mid-hold knee bends, bounces for the validation people (issue 21) ---
#
# The first 56 clips paint clothes on tight bodies: no loose fabric, no hood, no hair below the
# neck, few knees bent mid-hold, one bouncing clip among the validation people, a clean camera.
# On held-out renders of those, the coach missed a 45-degree rounding under a hood, a rounding
# under long hair, and a knee bent to 149 degrees on a cheap webcam. Take 3 (every body) and
# take 4 (the validation people) add them.

# Per body, in body order: what take 3 wears. Dealt from shuffled decks, one for the train
# people and one for the validation people, so that loose tops, hoodies, layered tops and long
# hair each dress at least a quarter of the 24 bodies and every one of them is on both sides
# of the split.
_TOPS_TRAIN = ("loose",) * 5 + ("hoodie",) * 5 + ("layered",) * 4 + ("tight",) * 4
_TOPS_VALIDATION = ("loose", "loose", "hoodie", "hoodie", "layered", "layered")
_HAIR_TRAIN = ("long-back",) * 3 + ("long-forward",) * 2 + ("ponytail",) * 2 + ("short",) * 11
_HAIR_VALIDATION = ("long-back", "long-back", "long-forward", "ponytail", "short", "short")
# A third of take 3 on a cheap webcam (both sides of the split).
_WEBCAM_TRAIN = (True,) * 6 + (False,) * 12
_WEBCAM_VALIDATION = (True, True, False, False, False, False)
# Overshirt colours (layered): chosen to differ from the T-shirt under them.
LAYER_COLOURS = ((0.25, 0.35, 0.20), (0.55, 0.45, 0.35), (0.15, 0.20, 0.35), (0.60, 0.15, 0.20),
                 (0.80, 0.80, 0.78), (0.30, 0.30, 0.32), (0.45, 0.60, 0.75))


def _dealt() -> dict[int, tuple[str, str, bool]]:
    rng = random.Random(SEED * 31 + 3)
    train = [i for i in range(N_BODIES) if i not in VALIDATION_BODIES]
    val = sorted(VALIDATION_BODIES)
    out: dict[int, tuple[str, str, bool]] = {}
    for people, tops, hair, cams in ((train, _TOPS_TRAIN, _HAIR_TRAIN, _WEBCAM_TRAIN),
                                     (val, _TOPS_VALIDATION, _HAIR_VALIDATION, _WEBCAM_VALIDATION)):
        tops, hair, cams = list(tops), list(hair), list(cams)
        for deck in (tops, hair, cams):
            rng.shuffle(deck)
        out.update({i: (t, h, c) for i, t, h, c in zip(people, tops, hair, cams)})
    return out


DEALT = _dealt()


def wardrobe_for(rng: random.Random, index: int, top: str, hair: str) -> Wardrobe:
    subject = body(index)
    layer = None
    if top == "layered":
        lum = sum(subject.shirt) / 3
        layer = rng.choice([c for c in LAYER_COLOURS if abs(sum(c) / 3 - lum) > 0.15])
    return Wardrobe(
        top=top, hair=hair, looseness=round(rng.uniform(0.025, 0.05), 3),
        hood=(round(rng.uniform(0.25, 0.30), 3), round(rng.uniform(0.18, 0.22), 3), round(rng.uniform(0.06, 0.12), 3)),
        hair_length=round(rng.uniform(0.20, 0.40), 2) if hair != "ponytail" else round(rng.uniform(0.18, 0.30), 2),
        layer_colour=layer,
    )


def webcam_for(rng: random.Random) -> Webcam:
    return Webcam(noise=round(rng.uniform(4.0, 10.0), 1), blur=round(rng.uniform(0.8, 1.8), 2),
                  gain=round(rng.uniform(0.1, 0.25), 2), gain_period=round(rng.uniform(3.0, 8.0), 1),
                  crf=rng.randint(34, 38))


def _tag(wardrobe: Wardrobe, webcam: Webcam | None) -> str:
    hair = {"short": "", "long-back": "hairback", "long-forward": "hairfwd", "ponytail": "ponytail"}[wardrobe.hair]
    return "-".join(p for p in (wardrobe.top, hair, "webcam" if webcam else "") if p)


def knee_round_script(rng: random.Random, floor: bool, soft: bool, rounds: bool
                      ) -> tuple[tuple[Segment, ...], str, tuple[str, ...]]:
    """Sit, straighten, hinge, hold; the knee bends mid-hold for 4-6 s and straightens; hold;
    then (``rounds``) the back rounds 34-55 degrees and comes back to a hinge; hold; sit up.

    A rounding clip leans at least 26 degrees and its pelvis tilts back at most 0.3 of the
    rounding beyond the hinge's: the trunk then stays leaning (over 12 degrees) throughout,
    so the rounding is a fault by SPEC's hip_hinge, not "upright, unsure"."""
    lean = rng.uniform(26.0, 40.0) if rounds else rng.uniform(18.0, 40.0)
    head = rng.uniform(8.0, 22.0)
    arms = rng.uniform(-20.0, 15.0)
    knee0 = rng.uniform(15.0, 25.0) if soft else rng.uniform(0.0, 4.0)
    # Interior knee angle of the bend (a straight knee reads 178.5): 120-155 degrees, the soft
    # variant 120-136, both clear of their labels' unsure margins (158 / 138).
    interior = rng.uniform(120.0, 136.0) if soft else rng.uniform(120.0, 155.0)
    bend = 178.5 - interior
    segs = [Segment(rng.uniform(1.5, 2.0), "setup", {})]
    if not floor:
        segs.append(Segment(2.0, "positioning", {"knee": knee0}))
    segs += [Segment(rng.uniform(2.0, 3.0), "positioning", {"lean": lean, "head": head, "arms": arms}),
             _hold(rng.uniform(3.5, 4.5)),
             Segment(rng.uniform(1.2, 2.0), "holding", {"knee": bend}, 1.0, 0.25),
             _hold(rng.uniform(4.0, 6.0)),
             Segment(rng.uniform(1.2, 2.0), "holding", {"knee": knee0}, 1.0, 0.25),
             _hold(rng.uniform(3.0, 4.0))]
    shows = f"bends the knee to about {interior:.0f} degrees mid-hold and straightens it"
    faults: tuple[str, ...] = ("bent knee",)
    if rounds:
        spine = rng.uniform(34.0, 55.0)
        tilt = rng.choice((rng.uniform(-0.3, 0.0), rng.uniform(0.0, 1.0), 0.0))
        head_r = rng.choice((rng.uniform(0.0, 6.0), rng.uniform(25.0, 40.0)))
        ramp = rng.uniform(2.0, 8.0)
        segs += [Segment(ramp, "holding", {"spine": spine, "tilt": tilt, "head": head_r}, 1.0, 0.25),
                 _hold(rng.uniform(3.0, 4.0)),
                 Segment(rng.uniform(2.0, 3.0), "holding", {"spine": 0.0, "tilt": 0.0, "head": head}, 1.0, 0.25)]
        shows += (f", then rounds the back to {spine:.0f} degrees over {ramp:.0f} s (pelvis tilt {tilt:+.1f}, "
                  f"head {head_r:.0f}) and hinges again")
        faults += ("rounded back",)
    else:
        shows += ", then keeps a correct hinge"
    segs += [_hold(rng.uniform(3.0, 4.0)), Segment(2.0, "rest", {"lean": 0.0, "spine": 0.0, "head": 5.0})]
    return tuple(segs), shows, faults


# Which take-3 clips keep a correct hinge after the knee bend (a quarter of them; a clean hinge
# in a hoodie must not be flagged), and the take-3 stretches: mostly the chair (a bed edge at
# times), a fifth the soft-knee variant, a few on the floor.
# Validation: two people hold a clean hinge, one of them in a hoodie, chosen so that every top
# and hair condition of the validation people still has someone rounding; train: four at random.
def _hinge_only() -> frozenset[int]:
    rng = random.Random(SEED * 31 + 4)
    val = sorted(VALIDATION_BODIES)
    pairs = [(a, b) for a in val for b in val if a < b and "hoodie" in (DEALT[a][0], DEALT[b][0])]
    rng.shuffle(pairs)
    conditions = {c for i in val for c in DEALT[i][:2]} - {"tight", "short"}
    for pair in pairs:
        rounding = [i for i in val if i not in pair]
        if all(any(c in DEALT[i][:2] for i in rounding) for c in conditions):
            break
    else:
        raise AssertionError("no pair of validation people leaves every condition a rounding")
    train = rng.sample([i for i in range(N_BODIES) if i not in VALIDATION_BODIES], 4)
    return frozenset({*pair, *train})


_HINGE_ONLY = _hinge_only()
# Take 3 at 30 fps: five people (one of them a validation person); the rest at 15 fps.
_FPS30 = frozenset(random.Random(SEED * 31 + 6).sample([i for i in range(N_BODIES) if i not in VALIDATION_BODIES], 4)
                   + [random.Random(SEED * 31 + 7).choice(sorted(VALIDATION_BODIES))])
_STRETCH_DECK = ("seated-chair",) * 16 + ("seated-chair-soft-knee",) * 5 + ("seated-floor",) * 3


def _take3_stretch(index: int) -> str:
    deck = list(_STRETCH_DECK)
    random.Random(SEED * 31 + 5).shuffle(deck)
    return deck[index]


def wardrobe_clip(index: int) -> Clip:
    """Take 3: a seated clip in what the body wears (``DEALT``) with a knee bent mid-hold and,
    for three quarters of them, a rounded back after it."""
    take = 3
    rng = random.Random(SEED * 100_000 + index * 10 + take)
    stretch = _take3_stretch(index)
    top, hair, cam = DEALT[index]
    rounds = index not in _HINGE_ONLY
    side = rng.choice(("left", "right"))
    timeline, shows, faults = knee_round_script(rng, stretch == "seated-floor", stretch == "seated-chair-soft-knee", rounds)
    wardrobe = wardrobe_for(rng, index, top, hair)
    webcam = webcam_for(rng) if cam else None
    kind = "knee-round" if rounds else "knee-hinge"
    clip = _filmed(rng, index, take, stretch, side, kind, timeline, f"{wardrobe.label}: {shows}", faults,
                   fps30=0.0, tag=_tag(wardrobe, webcam))
    return replace(clip, wardrobe=wardrobe, webcam=webcam, fps=30 if index in _FPS30 else 15)


# Take 4: a bouncing clip for each validation person, every posture covered.
BOUNCE_POSTURES = {0: "seated-chair", 5: "seated-floor", 10: "supine-strap", 13: "supine-thigh-hold",
                   18: "seated-chair-soft-knee", 23: "seated-floor"}
# Some of them dressed (top, hair) and/or on a cheap webcam.
BOUNCE_DRESS = {5: ("hoodie", "short", False), 10: ("loose", "ponytail", True), 18: ("layered", "long-back", False),
                23: ("tight", "short", True)}


def bounce_script(rng: random.Random, stretch: str) -> tuple[tuple[Segment, ...], str, tuple[str, ...]]:
    """A steady hold, 5-7 s of bouncing (6.5-12 degrees peak to peak at 0.5-2 Hz), a steady
    hold; lying, the leg is then lowered with a bent knee (which is not a bounce)."""
    pp, hz = rng.uniform(6.5, 12.0), rng.uniform(0.5, 2.0)
    bounce = Segment(rng.uniform(5.0, 7.0), "holding", {}, pp, hz)
    if stretch.startswith("supine"):
        raise_ = 90.0 if stretch == "supine-thigh-hold" else rng.uniform(55.0, 75.0)
        knee = rng.uniform(2.0, 6.0) if stretch == "supine-thigh-hold" else 0.0
        segs = [Segment(1.5, "setup", {})]
        if stretch == "supine-thigh-hold":
            segs += [Segment(3.0, "positioning", {"raise": raise_, "knee": 90.0, "arms": 1.0}),
                     Segment(3.0, "positioning", {"knee": knee})]
        else:
            segs.append(Segment(3.5, "positioning", {"raise": raise_, "knee": knee, "arms": 1.0}))
        segs += [_hold(rng.uniform(5.0, 6.0)), bounce, _hold(rng.uniform(5.0, 6.0)),
                 Segment(3.0, "rest", {"raise": 40.0, "knee": 80.0, "arms": 0.0}),
                 Segment(2.0, "rest", {"raise": 0.0, "knee": 0.0})]
        shows = f"{stretch}: lying, pulls the leg in {pp:.0f} degrees peak to peak at {hz:.1f} Hz, holds, lowers the leg"
    else:
        floor = stretch == "seated-floor"
        knee0 = rng.uniform(15.0, 25.0) if stretch == "seated-chair-soft-knee" else rng.uniform(0.0, 4.0)
        segs = [Segment(rng.uniform(1.5, 2.0), "setup", {})]
        if not floor:
            segs.append(Segment(2.0, "positioning", {"knee": knee0}))
        segs += [Segment(rng.uniform(2.0, 3.0), "positioning",
                         {"lean": rng.uniform(18.0, 38.0), "head": rng.uniform(8.0, 22.0), "arms": rng.uniform(-20.0, 15.0)}),
                 _hold(rng.uniform(5.0, 6.0)), bounce, _hold(rng.uniform(5.0, 6.0)),
                 Segment(2.0, "rest", {"lean": 0.0, "spine": 0.0, "head": 5.0})]
        shows = f"bounces {pp:.0f} degrees peak to peak at {hz:.1f} Hz between steady holds"
    return tuple(segs), shows, ("bouncing",)


def bounce_clip(index: int) -> Clip:
    take = 4
    rng = random.Random(SEED * 100_000 + index * 10 + take)
    stretch = BOUNCE_POSTURES[index]
    side = rng.choice(("left", "right"))
    timeline, shows, faults = bounce_script(rng, stretch)
    top, hair, cam = BOUNCE_DRESS.get(index, ("tight", "short", False))
    wardrobe = wardrobe_for(rng, index, top, hair)
    webcam = webcam_for(rng) if cam else None
    support = "bed" if stretch == "seated-chair-soft-knee" else None
    clip = _filmed(rng, index, take, stretch, side, "bounce", timeline, f"{wardrobe.label}: {shows}", faults,
                   fps30=0.2, tag=_tag(wardrobe, webcam), support=support)
    return replace(clip, wardrobe=wardrobe, webcam=webcam)


# Take 5: a second dressed back clip for each train person (issue 21). With take 3 alone the
# back model saw each loose top, hoodie or layered shirt on 4-6 train people, once each, and the
# validation people's backs under them were read (F1 1.00) but mostly said `unknown` (coverage
# 0.15-0.57 against 0.96 in tight tops): the error model had too few dressed backs to trust any.
# Each train person now wears, a second time, a top other than take 3's and hair dealt again,
# in a plain seated back clip: rounding (a quarter of the roundings slowly, over 5-8 s), looking down, or
# a small rounding within a long back. The validation people get none: what is reported on them
# stays comparable with the runs before.
_TOPS_TAKE5 = ("loose",) * 6 + ("hoodie",) * 6 + ("layered",) * 6
_HAIR_TAKE5 = ("long-back",) * 5 + ("long-forward",) * 5 + ("ponytail",) * 4 + ("short",) * 4
_WEBCAM_TAKE5 = (True,) * 6 + (False,) * 12
_KINDS_TAKE5 = ("round",) * 9 + ("slow-round",) * 3 + ("look-down",) * 3 + ("mild-round",) * 3
_STRETCHES_TAKE5 = ("seated-chair",) * 12 + ("seated-chair-soft-knee",) * 3 + ("seated-floor",) * 3


def _deal_to_train_people(seed: int, tops: tuple[str, ...], before: Callable[[int], str],
                          *decks: tuple) -> dict[int, tuple]:
    """Per train person: (top, one card of each deck), from decks shuffled by ``seed``. The tops
    are re-dealt until nobody wears the top ``before`` gives them again."""
    rng = random.Random(seed)
    train = [i for i in range(N_BODIES) if i not in VALIDATION_BODIES]
    dealt = list(tops)
    while True:
        rng.shuffle(dealt)
        if all(t != before(i) for i, t in zip(train, dealt)):
            break
    shuffled = [list(d) for d in decks]
    for deck in shuffled:
        rng.shuffle(deck)
    return {i: (t, *cards) for i, t, *cards in zip(train, dealt, *shuffled)}


# Per train person: (top, hair, webcam, kind, stretch) of take 5, never take 3's top (a tight
# take-3 top takes any).
DEALT_TAKE5 = _deal_to_train_people(SEED * 31 + 8, _TOPS_TAKE5, lambda i: DEALT[i][0], _HAIR_TAKE5,
                                    _WEBCAM_TAKE5, _KINDS_TAKE5, _STRETCHES_TAKE5)


def dressed_back_clip(index: int) -> Clip:
    """Take 5: train person ``index``'s second dressed clip, a seated back clip."""
    take = 5
    rng = random.Random(SEED * 100_000 + index * 10 + take)
    top, hair, cam, kind, stretch = DEALT_TAKE5[index]
    side = rng.choice(("left", "right"))
    script_kind, ramp = ("round", (5.0, 8.0)) if kind == "slow-round" else (kind, (2.0, 6.0))
    timeline, shows, faults = seated_script(rng, script_kind, stretch == "seated-floor",
                                            stretch == "seated-chair-soft-knee", ramp_s=ramp)
    wardrobe = wardrobe_for(rng, index, top, hair)
    webcam = webcam_for(rng) if cam else None
    clip = _filmed(rng, index, take, stretch, side, kind, timeline, f"{wardrobe.label}: {shows}", faults,
                   fps30=0.25, tag=_tag(wardrobe, webcam))
    return replace(clip, wardrobe=wardrobe, webcam=webcam)


# Take 6: a third dressed clip for each train person (issue 21), dealt toward where the back
# and the knee were read worst on people never trained on: the floor, loose and layered tops and
# hair down the back, with a knee bent mid-hold in every one. After take 5 the train people had
# 6 floor clips among 68 seated ones and one of them in a loose top with hair down the back, and
# the back model's margin there stayed so wide that a long back was never praised; a knee bent
# to 147 degrees under a hoodie with hair falling forward read 159-168. Chosen from the
# conditions, never fitted on the validation people, whose clips stay as they were.
_TOPS_TAKE6 = ("loose",) * 7 + ("layered",) * 6 + ("hoodie",) * 5
_HAIR_TAKE6 = ("long-back",) * 7 + ("long-forward",) * 3 + ("ponytail",) * 4 + ("short",) * 4
_WEBCAM_TAKE6 = (True,) * 6 + (False,) * 12
_STRETCHES_TAKE6 = ("seated-floor",) * 8 + ("seated-chair",) * 6 + ("seated-chair-soft-knee",) * 4
_ROUNDS_TAKE6 = (True,) * 12 + (False,) * 6


# Per train person: (top, hair, webcam, stretch, rounds) of take 6, never take 5's top.
DEALT_TAKE6 = _deal_to_train_people(SEED * 31 + 9, _TOPS_TAKE6, lambda i: DEALT_TAKE5[i][0], _HAIR_TAKE6,
                                    _WEBCAM_TAKE6, _STRETCHES_TAKE6, _ROUNDS_TAKE6)


def dressed_knee_clip(index: int) -> Clip:
    """Take 6: train person ``index``'s third dressed clip: a knee bent mid-hold and, for two
    in three, a rounded back after it (``knee_round_script``)."""
    take = 6
    rng = random.Random(SEED * 100_000 + index * 10 + take)
    top, hair, cam, stretch, rounds = DEALT_TAKE6[index]
    side = rng.choice(("left", "right"))
    timeline, shows, faults = knee_round_script(rng, stretch == "seated-floor", stretch == "seated-chair-soft-knee",
                                                rounds)
    wardrobe = wardrobe_for(rng, index, top, hair)
    webcam = webcam_for(rng) if cam else None
    clip = _filmed(rng, index, take, stretch, side, "knee-round" if rounds else "knee-hinge", timeline,
                   f"{wardrobe.label}: {shows}", faults, fps30=0.25, tag=_tag(wardrobe, webcam))
    return replace(clip, wardrobe=wardrobe, webcam=webcam)


def corpus_clips() -> list[Clip]:
    """Every corpus clip, in build order: each body's back clip first, then the others, so
    that a partly built corpus is still balanced across people and the split; the clips of
    issue 21 (takes 3 to 6) after the first 56, which they leave as they were."""
    return ([clip_for(i, take) for take in (0, 1) for i in range(N_BODIES)] + [clip_for(i, 2) for i in KNEE_BODIES]
            + [wardrobe_clip(i) for i in range(N_BODIES)] + [bounce_clip(i) for i in sorted(BOUNCE_POSTURES)]
            + [dressed_back_clip(i) for i in sorted(DEALT_TAKE5)] + [dressed_knee_clip(i) for i in sorted(DEALT_TAKE6)])


# Take 6 is a probe, neither fitted nor tuned on: its people are train people, so it is no
# measure of how the coach does on strangers, but the shipped models never saw them in these
# clothes and postures, and two of its floor clips show the back read confidently wrong under
# hair and fabric (issue 21). Trained on, with the seeds averaged, it did not make the coach time
# fewer seconds on a faulty form for train people held out (12.5 -> 13.1 s), so it is kept apart
# to show that failure until something reads it (`coach evaluate --corpus probe`).
PROBE_TAKES = frozenset({6})


def split_of_clip(clip: Clip) -> str:
    if int(clip.name.split("_")[0].rsplit("-", 1)[1]) in PROBE_TAKES:
        return "probe"
    return split_of(int(clip.subject.name.removeprefix("body")))


CLIPS = tuple(corpus_clips())
BY_NAME = {c.name: c for c in CLIPS}
