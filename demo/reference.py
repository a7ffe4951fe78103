"""Static reference data for the demo generator: regions, providers, collaboratives,
units, wards and localities.

Real places (towns, sub-ICB / ICB localities with approximate centroids and
populations) and real NHS trust names and ODS codes; every unit, ward and
independent provider name is fictional. The region scale is hand-written (the East
Midlands as in the seed presentation, plus two neighbouring adult secure
collaboratives); the national scale adds the other regions procedurally from a fixed
seed, so the geography never depends on the caller's seed.
"""

from dataclasses import dataclass, field
from datetime import date

import numpy as np

REGIONS = {
    "Y56": "London",
    "Y58": "South West",
    "Y59": "South East",
    "Y60": "Midlands",
    "Y61": "East of England",
    "Y62": "North West",
    "Y63": "North East and Yorkshire",
}

# Towns: name -> (latitude, longitude, postcode outward code)
TOWNS = {
    "Nottingham": (52.9548, -1.1581, "NG3"),
    "Derby": (52.9225, -1.4746, "DE22"),
    "Leicester": (52.6369, -1.1398, "LE4"),
    "Lincoln": (53.2307, -0.5406, "LN1"),
    "Northampton": (52.2405, -0.9027, "NN5"),
    "Mansfield": (53.1472, -1.1987, "NG18"),
    "Chesterfield": (53.2350, -1.4210, "S41"),
    "Loughborough": (52.7721, -1.2062, "LE11"),
    "Grantham": (52.9119, -0.6426, "NG31"),
    "Kettering": (52.3990, -0.7259, "NN15"),
    "Retford": (53.3226, -0.9432, "DN22"),
    "Market Harborough": (52.4775, -0.9206, "LE16"),
    "Boston": (52.9789, -0.0266, "PE21"),
    "Newark": (53.0765, -0.8087, "NG24"),
    "Corby": (52.4914, -0.6965, "NN17"),
    "Birmingham": (52.4862, -1.8904, "B29"),
    "Wolverhampton": (52.5862, -2.1288, "WV10"),
    "Coventry": (52.4068, -1.5197, "CV2"),
    "Stafford": (52.8066, -2.1171, "ST16"),
    "Worcester": (52.1936, -2.2216, "WR5"),
    "Dudley": (52.5123, -2.0811, "DY1"),
    "Warwick": (52.2819, -1.5849, "CV34"),
    "Stoke-on-Trent": (53.0027, -2.1794, "ST4"),
    "Shrewsbury": (52.7073, -2.7553, "SY3"),
    "Hereford": (52.0567, -2.7160, "HR1"),
    "Sheffield": (53.3811, -1.4701, "S5"),
    "Doncaster": (53.5228, -1.1285, "DN4"),
    "Wakefield": (53.6830, -1.4977, "WF1"),
    "Leeds": (53.8008, -1.5491, "LS14"),
    "Barnsley": (53.5526, -1.4797, "S75"),
    "York": (53.9600, -1.0873, "YO31"),
    "Hull": (53.7676, -0.3274, "HU6"),
    "Middlesbrough": (54.5742, -1.2350, "TS4"),
    "Newcastle upon Tyne": (54.9783, -1.6178, "NE3"),
    "Sunderland": (54.9069, -1.3838, "SR2"),
    "Durham": (54.7761, -1.5733, "DH1"),
    "Darlington": (54.5236, -1.5595, "DL2"),
    "Harrogate": (53.9921, -1.5418, "HG2"),
    "Carlisle": (54.8925, -2.9329, "CA1"),
    "Scarborough": (54.2831, -0.3998, "YO12"),
    "Camden": (51.5390, -0.1426, "NW1"),
    "Enfield": (51.6523, -0.0807, "EN2"),
    "Ealing": (51.5130, -0.3089, "W5"),
    "Harrow": (51.5806, -0.3420, "HA1"),
    "Hackney": (51.5450, -0.0553, "E8"),
    "Ilford": (51.5588, 0.0855, "IG1"),
    "Lambeth": (51.4607, -0.1163, "SE11"),
    "Bromley": (51.4039, 0.0198, "BR1"),
    "Tooting": (51.4275, -0.1680, "SW17"),
    "Dartford": (51.4462, 0.2187, "DA1"),
    "Exeter": (50.7184, -3.5339, "EX2"),
    "Plymouth": (50.3755, -4.1427, "PL6"),
    "Truro": (50.2632, -5.0510, "TR1"),
    "Taunton": (51.0150, -3.1000, "TA1"),
    "Bristol": (51.4545, -2.5879, "BS16"),
    "Gloucester": (51.8642, -2.2382, "GL2"),
    "Swindon": (51.5558, -1.7797, "SN3"),
    "Dorchester": (50.7154, -2.4397, "DT1"),
    "Bournemouth": (50.7192, -1.8808, "BH7"),
    "Salisbury": (51.0688, -1.7945, "SP2"),
    "Maidstone": (51.2720, 0.5290, "ME16"),
    "Canterbury": (51.2802, 1.0789, "CT1"),
    "Brighton": (50.8225, -0.1372, "BN2"),
    "Hastings": (50.8543, 0.5735, "TN34"),
    "Guildford": (51.2362, -0.5704, "GU2"),
    "Epsom": (51.3360, -0.2670, "KT18"),
    "Oxford": (51.7520, -1.2577, "OX3"),
    "Reading": (51.4543, -0.9781, "RG1"),
    "Aylesbury": (51.8156, -0.8084, "HP20"),
    "Southampton": (50.9097, -1.4044, "SO30"),
    "Portsmouth": (50.8198, -1.0880, "PO3"),
    "Winchester": (51.0632, -1.3080, "SO22"),
    "Norwich": (52.6309, 1.2974, "NR6"),
    "Ipswich": (52.0567, 1.1482, "IP4"),
    "Cambridge": (52.2053, 0.1218, "CB2"),
    "Peterborough": (52.5695, -0.2405, "PE3"),
    "Chelmsford": (51.7356, 0.4685, "CM1"),
    "Colchester": (51.8959, 0.8919, "CO4"),
    "St Albans": (51.7520, -0.3360, "AL1"),
    "Luton": (51.8787, -0.4200, "LU4"),
    "Bedford": (52.1360, -0.4667, "MK40"),
    "King's Lynn": (52.7517, 0.4023, "PE30"),
    "Manchester": (53.4808, -2.2426, "M25"),
    "Salford": (53.4875, -2.2901, "M6"),
    "Bolton": (53.5769, -2.4282, "BL3"),
    "Oldham": (53.5409, -2.1114, "OL1"),
    "Stockport": (53.4106, -2.1575, "SK2"),
    "Wigan": (53.5450, -2.6325, "WN1"),
    "Liverpool": (53.4084, -2.9916, "L9"),
    "Chester": (53.1934, -2.8931, "CH2"),
    "Warrington": (53.3900, -2.5970, "WA2"),
    "Birkenhead": (53.3934, -3.0148, "CH41"),
    "Preston": (53.7632, -2.7031, "PR2"),
    "Lancaster": (54.0466, -2.8007, "LA1"),
    "Blackburn": (53.7486, -2.4875, "BB2"),
    "Blackpool": (53.8175, -3.0357, "FY3"),
    "Kendal": (54.3280, -2.7463, "LA9"),
}

# Localities: code -> (name, region, lat, lon, population, footprint)
# The footprint names the area whose collaboratives a locality belongs to.
EM_LOCALITIES = [
    ("52R", "Nottingham and Nottinghamshire", 53.05, -1.05, 1_040_000),
    ("15M", "Derby and Derbyshire", 53.00, -1.55, 1_070_000),
    ("04C", "Leicester City", 52.636, -1.133, 370_000),
    ("04V", "West Leicestershire", 52.72, -1.30, 410_000),
    ("03W", "East Leicestershire and Rutland", 52.62, -0.90, 330_000),
    ("71E", "Lincolnshire", 53.10, -0.25, 770_000),
    ("78H", "Northamptonshire", 52.30, -0.85, 790_000),
]
WM_LOCALITIES = [
    ("15E", "Birmingham and Solihull", 52.47, -1.85, 1_300_000),
    ("D2P2L", "Black Country", 52.54, -2.06, 1_230_000),
    ("B2M3M", "Coventry and Warwickshire", 52.35, -1.55, 1_030_000),
    ("04Y", "Staffordshire and Stoke-on-Trent", 52.85, -2.05, 1_140_000),
    ("18C", "Herefordshire and Worcestershire", 52.20, -2.40, 800_000),
    ("M2L0M", "Shropshire, Telford and Wrekin", 52.70, -2.60, 510_000),
]
SY_LOCALITIES = [
    ("02P", "Barnsley", 53.55, -1.48, 245_000),
    ("02X", "Doncaster", 53.52, -1.13, 310_000),
    ("03L", "Rotherham", 53.43, -1.36, 265_000),
    ("03N", "Sheffield", 53.38, -1.47, 585_000),
    ("15F", "Leeds", 53.80, -1.55, 810_000),
    ("36J", "Bradford District and Craven", 53.83, -1.85, 620_000),
    ("03R", "Wakefield", 53.68, -1.50, 355_000),
    ("X2C4Y", "Kirklees", 53.65, -1.78, 440_000),
    ("02T", "Calderdale", 53.72, -1.95, 210_000),
]

NHS_PROVIDERS = {
    "RHA": "Nottinghamshire Healthcare NHS Foundation Trust",
    "RXM": "Derbyshire Healthcare NHS Foundation Trust",
    "RT5": "Leicestershire Partnership NHS Trust",
    "RP7": "Lincolnshire Partnership NHS Foundation Trust",
    "RP1": "Northamptonshire Healthcare NHS Foundation Trust",
    "RXT": "Birmingham and Solihull Mental Health NHS Foundation Trust",
    "TAJ": "Black Country Healthcare NHS Foundation Trust",
    "RYG": "Coventry and Warwickshire Partnership NHS Trust",
    "RRE": "Midlands Partnership University NHS Foundation Trust",
    "R1A": "Herefordshire and Worcestershire Health and Care NHS Trust",
    "TAH": "Sheffield Health and Social Care NHS Foundation Trust",
    "RXE": "Rotherham Doncaster and South Humber NHS Foundation Trust",
    "RXG": "South West Yorkshire Partnership NHS Foundation Trust",
    "RGD": "Leeds and York Partnership NHS Foundation Trust",
    "RX4": "Cumbria, Northumberland, Tyne and Wear NHS Foundation Trust",
    "RX3": "Tees, Esk and Wear Valleys NHS Foundation Trust",
    "RV9": "Humber Teaching NHS Foundation Trust",
    "RV3": "Central and North West London NHS Foundation Trust",
    "RKL": "West London NHS Trust",
    "RRP": "Barnet, Enfield and Haringey Mental Health NHS Trust",
    "RWK": "East London NHS Foundation Trust",
    "RAT": "North East London NHS Foundation Trust",
    "RV5": "South London and Maudsley NHS Foundation Trust",
    "RPG": "Oxleas NHS Foundation Trust",
    "RQY": "South West London and St George's Mental Health NHS Trust",
    "RWV": "Devon Partnership NHS Trust",
    "RJ8": "Cornwall Partnership NHS Foundation Trust",
    "RH5": "Somerset NHS Foundation Trust",
    "RVN": "Avon and Wiltshire Mental Health Partnership NHS Trust",
    "RTQ": "Gloucestershire Health and Care NHS Foundation Trust",
    "RDY": "Dorset HealthCare University NHS Foundation Trust",
    "RXY": "Kent and Medway NHS and Social Care Partnership Trust",
    "RX2": "Sussex Partnership NHS Foundation Trust",
    "RXX": "Surrey and Borders Partnership NHS Foundation Trust",
    "RNU": "Oxford Health NHS Foundation Trust",
    "RW1": "Southern Health NHS Foundation Trust",
    "RWX": "Berkshire Healthcare NHS Foundation Trust",
    "RMY": "Norfolk and Suffolk NHS Foundation Trust",
    "RT1": "Cambridgeshire and Peterborough NHS Foundation Trust",
    "RWR": "Hertfordshire Partnership University NHS Foundation Trust",
    "R1L": "Essex Partnership University NHS Foundation Trust",
    "RXV": "Greater Manchester Mental Health NHS Foundation Trust",
    "RT2": "Pennine Care NHS Foundation Trust",
    "RW4": "Mersey Care NHS Foundation Trust",
    "RXA": "Cheshire and Wirral Partnership NHS Foundation Trust",
    "RW5": "Lancashire and South Cumbria NHS Foundation Trust",
}

# Fictional independent providers (not real companies).
INDEPENDENT_NAMES = [
    "Larkspur Healthcare",
    "Hollybrook Clinical Services",
    "Meadowcroft Care Group",
    "Ravensworth Healthcare",
    "Brindley Secure Care",
    "Severnside Clinical Care",
    "Pennine Crest Care",
    "Harbourlight Healthcare",
    "Tamarisk Clinical Partnerships",
    "Greystone Mental Health",
    "Wildflower Care Partnerships",
    "Northlight Hospitals",
    "Kingsmead Clinical Group",
    "Bluebell Secure Services",
    "Foxglove Healthcare Group",
    "Lanternfield Care",
    "Saltmarsh Clinical Services",
    "Heatherdale Healthcare",
    "Silverbirch Hospitals",
    "Copperbeech Care Group",
    "Amberwell Healthcare",
    "Riverstone Clinical Care",
    "Thistledown Healthcare",
    "Oakhollow Hospitals",
]

WARD_WORDS = [
    "Ash",
    "Beech",
    "Cedar",
    "Elm",
    "Hazel",
    "Holly",
    "Juniper",
    "Larch",
    "Maple",
    "Oak",
    "Rowan",
    "Willow",
    "Alder",
    "Birch",
    "Aspen",
    "Linden",
    "Poplar",
    "Yew",
    "Hawthorn",
    "Sycamore",
    "Heron",
    "Kestrel",
    "Kingfisher",
    "Lapwing",
    "Merlin",
    "Osprey",
    "Plover",
    "Skylark",
    "Swift",
    "Wren",
    "Curlew",
    "Dunlin",
    "Avocet",
    "Bittern",
    "Goldcrest",
    "Nuthatch",
    "Redstart",
    "Siskin",
    "Teal",
    "Warbler",
    "Bluebell",
    "Clover",
    "Daisy",
    "Fern",
    "Heather",
    "Iris",
    "Lavender",
    "Primrose",
    "Sorrel",
    "Thyme",
    "Violet",
    "Yarrow",
    "Amber",
    "Coral",
    "Jade",
    "Opal",
    "Pearl",
    "Ruby",
    "Sapphire",
    "Topaz",
    "Harbour",
    "Beacon",
    "Compass",
    "Horizon",
    "Lantern",
    "Meridian",
    "Orchard",
    "Quarry",
    "Spring",
    "Summit",
    "Valley",
    "Brook",
    "Meadow",
    "Grove",
    "Glade",
    "Haven",
    "Moor",
    "Ridge",
]
UNIT_SUFFIXES = ["House", "Lodge", "Centre", "Clinic", "Unit", "Hospital", "Court", "Hall"]


@dataclass
class Reference:
    regions: list = field(default_factory=list)  # (code, name)
    providers: list = field(default_factory=list)  # (code, name, sector, cqc)
    collaboratives: list = field(default_factory=list)  # (id, name, region, sl, lead, go_live)
    units: list = field(default_factory=list)  # (code, name, provider, postcode, lat, lon)
    wards: list = field(default_factory=list)  # (code, unit, name, collab, sl, level,
    #  gender, specialism, beds, opened, closed)
    localities: list = field(default_factory=list)  # (code, name, region, lat, lon, population)
    locality_collaborative: list = field(default_factory=list)  # (locality, sl, collab)
    wsbs_units: list = field(default_factory=list)  # units of the WSBS pilot


# Ward specs: (level, gender, specialism, beds)
A, C, E = "adult_secure", "camhs", "adult_eating_disorders"

# (unit_code, unit name, provider, town, postcode inward, collaborative, [ward specs])
EM_UNITS = [
    (
        "RHA10",
        "Trentside Secure Centre",
        "RHA",
        "Nottingham",
        "6AA",
        "IMPACT",
        [
            ("medium", "male", "mi", 16),
            ("medium", "male", "mi", 15),
            ("medium", "male", "pd", 15),
            ("low", "male", "mi", 16),
            ("low", "male", "mi", 15),
            ("medium", "female", "mi", 12),
        ],
    ),
    (
        "RHA11",
        "Sherwood Oaks Hospital",
        "RHA",
        "Mansfield",
        "3LP",
        "IMPACT",
        [
            ("medium", "male", "mi", 15),
            ("low", "male", "mi", 15),
            ("low", "male", "ld_asd", 12),
            ("medium", "female", "wems", 10),
        ],
    ),
    (
        "RHA12",
        "Idle Valley Unit",
        "RHA",
        "Retford",
        "7XF",
        "IMPACT",
        [("low", "male", "mi", 14), ("low", "male", "pd", 14), ("low", "female", "ld_asd", 10)],
    ),
    (
        "RXM10",
        "Darley Grange",
        "RXM",
        "Derby",
        "3LZ",
        "IMPACT",
        [("medium", "male", "mi", 15), ("low", "male", "mi", 16), ("low", "male", "pd", 14)],
    ),
    (
        "RXM11",
        "Hasland Lodge",
        "RXM",
        "Chesterfield",
        "2NT",
        "IMPACT",
        [("low", "male", "mi", 15), ("low", "female", "mi", 12)],
    ),
    (
        "RT510",
        "Abbey Meadows Centre",
        "RT5",
        "Leicester",
        "8PQ",
        "IMPACT",
        [
            ("medium", "male", "mi", 15),
            ("medium", "male", "pd", 14),
            ("low", "male", "mi", 16),
            ("low", "female", "mi", 12),
        ],
    ),
    (
        "RT511",
        "Charnwood View",
        "RT5",
        "Loughborough",
        "5JR",
        "IMPACT",
        [("low", "male", "mi", 14), ("low", "male", "ld_asd", 12)],
    ),
    (
        "RP710",
        "Witham House",
        "RP7",
        "Lincoln",
        "4EW",
        "IMPACT",
        [("low", "male", "mi", 15), ("low", "male", "pd", 14), ("low", "female", "mi", 10)],
    ),
    (
        "RP110",
        "Nene Bank Clinic",
        "RP1",
        "Northampton",
        "6DR",
        "IMPACT",
        [("medium", "male", "mi", 15), ("low", "male", "mi", 15), ("low", "male", "pd", 12)],
    ),
    (
        "NV110",
        "Larkspur Hall",
        "NV1",
        "Grantham",
        "8BH",
        "IMPACT",
        [
            ("medium", "female", "mi", 14),
            ("low", "female", "pd", 14),
            ("low", "male", "ld_asd", 14),
            ("low", "male", "mi", 12),
        ],
    ),
    (
        "NV210",
        "Hollybrook Hospital",
        "NV2",
        "Kettering",
        "9QW",
        "IMPACT",
        [
            ("medium", "male", "mi", 15),
            ("low", "male", "mi", 15),
            ("low", "female", "pd", 12),
            ("medium", "male", "pd", 12),
        ],
    ),
    (
        "NV310",
        "Meadowcroft Clinic",
        "NV3",
        "Newark",
        "2TS",
        "IMPACT",
        [("low", "male", "mi", 14), ("low", "female", "ld_asd", 10), ("low", "male", "pd", 12)],
    ),
    (
        "NV410",
        "Ravensworth House",
        "NV4",
        "Market Harborough",
        "7DE",
        "IMPACT",
        [("low", "female", "mi", 12), ("low", "male", "mi", 12)],
    ),
    # East Midlands CAMHS (lead Northamptonshire)
    (
        "RP111",
        "Nene Young People's Unit",
        "RP1",
        "Northampton",
        "6UP",
        "EMCAMHS",
        [("general", "mixed", "general", 14), ("picu", "mixed", "general", 8)],
    ),
    (
        "RHA13",
        "Thornfield Adolescent Centre",
        "RHA",
        "Nottingham",
        "2FH",
        "EMCAMHS",
        [("general", "mixed", "general", 12), ("general", "mixed", "eating_disorder", 10)],
    ),
    ("RT512", "Welland House", "RT5", "Leicester", "5WB", "EMCAMHS", [("general", "mixed", "general", 12)]),
    (
        "RXM12",
        "Markeaton Young People's Unit",
        "RXM",
        "Derby",
        "4AY",
        "EMCAMHS",
        [("general", "mixed", "general", 12)],
    ),
    (
        "RP711",
        "Brayford Adolescent Unit",
        "RP7",
        "Lincoln",
        "5YP",
        "EMCAMHS",
        [("general", "mixed", "general", 10)],
    ),
    (
        "NV211",
        "Hollybrook Young People's Service",
        "NV2",
        "Corby",
        "1QB",
        "EMCAMHS",
        [("low", "male", "general", 10), ("picu", "mixed", "general", 10)],
    ),
    # East Midlands adult eating disorders (lead Leicestershire)
    (
        "RT513",
        "Rutland Lodge",
        "RT5",
        "Leicester",
        "7ED",
        "EMAED",
        [("general", "mixed", "eating_disorder", 15)],
    ),
    (
        "RHA14",
        "Bramcote House",
        "RHA",
        "Nottingham",
        "9HE",
        "EMAED",
        [("general", "mixed", "eating_disorder", 12)],
    ),
    (
        "RP712",
        "Boston Road Unit",
        "RP7",
        "Boston",
        "8EB",
        "EMAED",
        [("general", "female", "eating_disorder", 10)],
    ),
    (
        "NV411",
        "Ravensworth Eating Disorders Centre",
        "NV4",
        "Market Harborough",
        "7ET",
        "EMAED",
        [("general", "mixed", "eating_disorder", 12)],
    ),
]
WM_UNITS = [
    (
        "RXT10",
        "Rea Valley Centre",
        "RXT",
        "Birmingham",
        "2TB",
        "WMAS",
        [
            ("medium", "male", "mi", 16),
            ("medium", "male", "mi", 16),
            ("medium", "male", "pd", 15),
            ("low", "male", "mi", 16),
            ("medium", "female", "mi", 14),
        ],
    ),
    (
        "RXT11",
        "Tame Bridge Clinic",
        "RXT",
        "Birmingham",
        "6QH",
        "WMAS",
        [("low", "male", "mi", 15), ("low", "male", "pd", 15), ("low", "female", "pd", 12)],
    ),
    (
        "TAJ10",
        "Stour Lodge",
        "TAJ",
        "Dudley",
        "2DN",
        "WMAS",
        [("low", "male", "mi", 15), ("low", "male", "ld_asd", 12)],
    ),
    (
        "RYG10",
        "Avon Meadow Centre",
        "RYG",
        "Warwick",
        "5RS",
        "WMAS",
        [("medium", "male", "mi", 15), ("low", "male", "mi", 15), ("low", "female", "mi", 12)],
    ),
    (
        "RRE10",
        "Sow Valley Unit",
        "RRE",
        "Stafford",
        "3SA",
        "WMAS",
        [("low", "male", "mi", 15), ("low", "male", "pd", 14)],
    ),
    (
        "NV510",
        "Brindley Court",
        "NV5",
        "Wolverhampton",
        "6BC",
        "WMAS",
        [("medium", "female", "pd", 12), ("low", "female", "mi", 12), ("low", "male", "mi", 14)],
    ),
    (
        "NV610",
        "Severn Ridge Hospital",
        "NV6",
        "Worcester",
        "3SR",
        "WMAS",
        [("low", "male", "mi", 14), ("low", "female", "ld_asd", 10)],
    ),
]
SY_UNITS = [
    (
        "TAH10",
        "Don Valley Secure Unit",
        "TAH",
        "Sheffield",
        "8DV",
        "YHAS",
        [("low", "male", "mi", 16), ("low", "male", "pd", 14), ("low", "female", "mi", 12)],
    ),
    (
        "RXE10",
        "Cusworth Lodge",
        "RXE",
        "Doncaster",
        "5CL",
        "YHAS",
        [("medium", "male", "mi", 15), ("low", "male", "mi", 15)],
    ),
    (
        "RXG10",
        "Calder Reach Centre",
        "RXG",
        "Wakefield",
        "4CR",
        "YHAS",
        [
            ("medium", "male", "mi", 16),
            ("medium", "male", "mi", 15),
            ("medium", "male", "pd", 15),
            ("medium", "female", "mi", 12),
            ("low", "male", "ld_asd", 12),
        ],
    ),
    (
        "RGD10",
        "Aire Valley Clinic",
        "RGD",
        "Leeds",
        "6AV",
        "YHAS",
        [("low", "male", "mi", 15), ("low", "female", "pd", 12)],
    ),
    (
        "NV710",
        "Pennine Crest Hospital",
        "NV7",
        "Barnsley",
        "3PC",
        "YHAS",
        [("low", "female", "mi", 12), ("low", "male", "mi", 14), ("medium", "female", "pd", 12)],
    ),
]

REGION_COLLABS = [
    ("IMPACT", "IMPACT (East Midlands adult secure)", "Y60", A, "RHA", date(2020, 10, 1)),
    ("EMCAMHS", "East Midlands CAMHS Provider Collaborative", "Y60", C, "RP1", date(2020, 10, 1)),
    (
        "EMAED",
        "East Midlands Adult Eating Disorders Provider Collaborative",
        "Y60",
        E,
        "RT5",
        date(2020, 10, 1),
    ),
    ("WMAS", "West Midlands Adult Secure Provider Collaborative", "Y60", A, "RXT", date(2020, 4, 1)),
    (
        "YHAS",
        "South and West Yorkshire Adult Secure Provider Collaborative",
        "Y63",
        A,
        "RXG",
        date(2021, 4, 1),
    ),
]
REGION_INDEPENDENT = {f"NV{i + 1}": INDEPENDENT_NAMES[i] for i in range(7)}
WSBS_UNITS = ["NV110", "RHA11", "NV510"]


def _postcode(outward: str, inward: str) -> str:
    return f"{outward} {inward}"


def _ward_name(i: int) -> str:
    return f"{WARD_WORDS[i % len(WARD_WORDS)]} Ward"


def _add_units(ref: Reference, units, rng: np.random.Generator, ward_counter: list) -> None:
    for code, name, prov, town, inward, collab, wards in units:
        lat, lon, outward = TOWNS[town]
        ref.units.append((code, name, prov, _postcode(outward, inward), lat, lon))
        sl = next(c[3] for c in ref.collaboratives if c[0] == collab)
        for j, (level, gender, spec, beds) in enumerate(wards):
            opened = date(int(rng.integers(1975, 2009)), int(rng.integers(1, 13)), 1)
            ref.wards.append(
                (
                    f"{code}W{j + 1:02d}",
                    code,
                    _ward_name(ward_counter[0]),
                    collab,
                    sl,
                    level,
                    gender,
                    spec,
                    beds,
                    opened,
                    None,
                )
            )
            ward_counter[0] += 1


def _cqc(rng: np.random.Generator) -> str:
    return str(
        rng.choice(["outstanding", "good", "requires_improvement", "inadequate"], p=[0.12, 0.68, 0.17, 0.03])
    )


def region_reference() -> Reference:
    rng = np.random.default_rng(2020)
    ref = Reference()
    ref.regions = [("Y60", REGIONS["Y60"]), ("Y63", REGIONS["Y63"])]
    codes = ["RHA", "RXM", "RT5", "RP7", "RP1", "RXT", "TAJ", "RYG", "RRE", "TAH", "RXE", "RXG", "RGD"]
    ref.providers = [(c, NHS_PROVIDERS[c], "nhs", _cqc(rng)) for c in codes]
    ref.providers += [(c, n, "independent", _cqc(rng)) for c, n in REGION_INDEPENDENT.items()]
    ref.collaboratives = list(REGION_COLLABS)
    counter = [0]
    _add_units(ref, EM_UNITS + WM_UNITS + SY_UNITS, rng, counter)
    for locs, region, colls in (
        (EM_LOCALITIES, "Y60", {A: "IMPACT", C: "EMCAMHS", E: "EMAED"}),
        (WM_LOCALITIES, "Y60", {A: "WMAS"}),
        (SY_LOCALITIES, "Y63", {A: "YHAS"}),
    ):
        for code, name, lat, lon, pop in locs:
            ref.localities.append((code, name, region, lat, lon, pop))
            for sl, coll in colls.items():
                ref.locality_collaborative.append((code, sl, coll))
    ref.wsbs_units = list(WSBS_UNITS)
    return ref


# National scale: footprints of the other areas.
# (key, region, name, [localities (code, name, lat, lon, pop)], [towns], [NHS providers],
#  adult secure beds, CAMHS beds (0 = covered by another footprint's CAMHS collaborative))
FOOTPRINTS = [
    (
        "NLON",
        "Y56",
        "North London",
        [
            ("QMJ", "North Central London", 51.57, -0.14, 1_650_000),
            ("QRV", "North West London", 51.53, -0.33, 2_100_000),
        ],
        ["Camden", "Enfield", "Ealing", "Harrow"],
        ["RV3", "RKL", "RRP"],
        620,
        170,
    ),
    (
        "SLON",
        "Y56",
        "East and South London",
        [
            ("QMF", "North East London", 51.55, 0.03, 2_100_000),
            ("QKK", "South East London", 51.44, -0.02, 1_900_000),
            ("QWE", "South West London", 51.42, -0.20, 1_550_000),
        ],
        ["Hackney", "Ilford", "Lambeth", "Bromley", "Tooting", "Dartford"],
        ["RWK", "RAT", "RV5", "RPG", "RQY"],
        700,
        180,
    ),
    (
        "PEN",
        "Y58",
        "Peninsula",
        [
            ("QJK", "Devon", 50.72, -3.70, 1_220_000),
            ("QT6", "Cornwall and the Isles of Scilly", 50.40, -4.90, 580_000),
            ("QSL", "Somerset", 51.10, -2.95, 580_000),
        ],
        ["Exeter", "Plymouth", "Truro", "Taunton"],
        ["RWV", "RJ8", "RH5"],
        330,
        90,
    ),
    (
        "SEV",
        "Y58",
        "Severn and Wessex",
        [
            ("QUY", "Bristol, North Somerset and South Gloucestershire", 51.47, -2.60, 1_000_000),
            ("QR1", "Gloucestershire", 51.85, -2.20, 650_000),
            ("QOX", "Bath and North East Somerset, Swindon and Wiltshire", 51.35, -1.95, 950_000),
            ("QVV", "Dorset", 50.75, -2.30, 780_000),
        ],
        ["Bristol", "Gloucester", "Swindon", "Dorchester", "Bournemouth", "Salisbury"],
        ["RVN", "RTQ", "RDY"],
        420,
        0,
    ),
    (
        "KSS",
        "Y59",
        "Kent, Surrey and Sussex",
        [
            ("QKS", "Kent and Medway", 51.25, 0.70, 1_900_000),
            ("QNX", "Sussex", 50.93, -0.20, 1_750_000),
            ("QXU", "Surrey Heartlands", 51.25, -0.45, 1_100_000),
        ],
        ["Maidstone", "Canterbury", "Brighton", "Hastings", "Guildford", "Epsom"],
        ["RXY", "RX2", "RXX"],
        560,
        150,
    ),
    (
        "TVW",
        "Y59",
        "Thames Valley and Wessex",
        [
            ("QU9", "Buckinghamshire, Oxfordshire and Berkshire West", 51.70, -1.10, 1_850_000),
            ("QRL", "Hampshire and Isle of Wight", 50.95, -1.30, 1_900_000),
            ("QNQ", "Frimley", 51.33, -0.75, 800_000),
        ],
        ["Oxford", "Reading", "Aylesbury", "Southampton", "Portsmouth", "Winchester"],
        ["RNU", "RW1", "RWX"],
        540,
        0,
    ),
    (
        "EAN",
        "Y61",
        "Norfolk, Suffolk and Cambridgeshire",
        [
            ("QMM", "Norfolk and Waveney", 52.65, 1.20, 1_050_000),
            ("QJG", "Suffolk and North East Essex", 52.10, 1.00, 1_000_000),
            ("QUE", "Cambridgeshire and Peterborough", 52.40, -0.05, 950_000),
        ],
        ["Norwich", "Ipswich", "Cambridge", "Peterborough", "King's Lynn"],
        ["RMY", "RT1"],
        440,
        150,
    ),
    (
        "ESX",
        "Y61",
        "Essex, Hertfordshire and Bedfordshire",
        [
            ("QH8", "Mid and South Essex", 51.65, 0.55, 1_200_000),
            ("QM7", "Hertfordshire and West Essex", 51.80, -0.20, 1_600_000),
            ("QHG", "Bedfordshire, Luton and Milton Keynes", 52.05, -0.60, 1_000_000),
        ],
        ["Chelmsford", "Colchester", "St Albans", "Luton", "Bedford"],
        ["R1L", "RWR"],
        480,
        0,
    ),
    (
        "GMC",
        "Y62",
        "Greater Manchester",
        [("QOP", "Greater Manchester", 53.50, -2.25, 2_900_000)],
        ["Manchester", "Salford", "Bolton", "Oldham", "Stockport", "Wigan"],
        ["RXV", "RT2"],
        560,
        150,
    ),
    (
        "CHM",
        "Y62",
        "Cheshire and Merseyside",
        [("QYG", "Cheshire and Merseyside", 53.30, -2.75, 2_700_000)],
        ["Liverpool", "Chester", "Warrington", "Birkenhead"],
        ["RW4", "RXA"],
        520,
        130,
    ),
    (
        "LSC",
        "Y62",
        "Lancashire and South Cumbria",
        [("QE1", "Lancashire and South Cumbria", 53.90, -2.70, 1_800_000)],
        ["Preston", "Lancaster", "Blackburn", "Blackpool", "Kendal"],
        ["RW5"],
        360,
        0,
    ),
    (
        "NENC",
        "Y63",
        "North East and North Cumbria",
        [("QHM", "North East and North Cumbria", 54.85, -1.70, 3_100_000)],
        ["Newcastle upon Tyne", "Sunderland", "Durham", "Middlesbrough", "Darlington", "Carlisle"],
        ["RX4", "RX3"],
        600,
        160,
    ),
    (
        "HNY",
        "Y63",
        "Humber and North Yorkshire",
        [("QOQ", "Humber and North Yorkshire", 54.00, -0.90, 1_700_000)],
        ["Hull", "York", "Harrogate", "Scarborough"],
        ["RV9"],
        330,
        0,
    ),
]
# Footprints sharing a CAMHS / eating disorders / perinatal collaborative (region-level services).
SHARED_SERVICES = {"SEV": "PEN", "TVW": "KSS", "ESX": "EAN", "LSC": "CHM", "HNY": "NENC"}
# Regions with a perinatal (mother and baby) collaborative, and its host footprint.
PERINATAL = {"Y56": "NLON", "Y58": "PEN", "Y60": "EM", "Y62": "GMC", "Y63": "NENC"}
# Adult eating disorders collaborative per region (host footprint).
AED_HOSTS = {"Y56": "SLON", "Y58": "SEV", "Y59": "TVW", "Y61": "EAN", "Y62": "CHM", "Y63": "NENC"}

# Nationally commissioned services (NHS England specialised commissioning, not a collaborative's): women's
# enhanced medium secure, deaf, acquired brain injury and high secure. ward.nationally_commissioned.
NATIONAL_SPECIALISMS = ("wems", "deaf", "abi")
NATIONAL_SECURITY_LEVELS = ("high",)


def national_service(specialism, security_level):
    """True where a ward (specialism, security level; scalars or pandas Series) is nationally commissioned."""
    if isinstance(specialism, str):
        return specialism in NATIONAL_SPECIALISMS or security_level in NATIONAL_SECURITY_LEVELS
    return specialism.isin(NATIONAL_SPECIALISMS) | security_level.isin(NATIONAL_SECURITY_LEVELS)


SECURE_MIX = [  # (level, gender, specialism, weight)
    ("medium", "male", "mi", 0.20),
    ("medium", "male", "pd", 0.07),
    ("low", "male", "mi", 0.25),
    ("low", "male", "pd", 0.09),
    ("low", "male", "ld_asd", 0.08),
    ("medium", "female", "mi", 0.06),
    ("low", "female", "mi", 0.08),
    ("low", "female", "pd", 0.06),
    ("low", "female", "ld_asd", 0.03),
    ("medium", "male", "abi", 0.02),
    ("low", "male", "deaf", 0.01),
    ("medium", "female", "wems", 0.01),
    ("medium", "male", "ld_asd", 0.04),
]
CAMHS_MIX = [
    ("general", "mixed", "general", 0.62),
    ("picu", "mixed", "general", 0.14),
    ("general", "mixed", "eating_disorder", 0.14),
    ("low", "male", "general", 0.10),
]


class _Namer:
    def __init__(self, rng):
        self.rng = rng
        self.used = set()

    def unit(self, town: str) -> str:
        while True:
            word = WARD_WORDS[int(self.rng.integers(len(WARD_WORDS)))]
            suffix = UNIT_SUFFIXES[int(self.rng.integers(len(UNIT_SUFFIXES)))]
            name = f"{word} {suffix}, {town}"
            if name not in self.used:
                self.used.add(name)
                return f"{word} {suffix}"


def _inward(rng) -> str:
    letters = "ABDEFGHJLNPQRSTUWXYZ"
    return f"{int(rng.integers(1, 10))}{letters[int(rng.integers(20))]}{letters[int(rng.integers(20))]}"


def national_reference() -> Reference:
    """The region scale plus every other area of England, generated from a fixed seed."""
    ref = region_reference()
    rng = np.random.default_rng(2021)
    namer = _Namer(rng)
    ref.regions = sorted(REGIONS.items())
    counter = [len(ref.wards)]
    unit_seq = {}
    nv = [len(REGION_INDEPENDENT)]
    existing = {p[0] for p in ref.providers}

    def new_independent() -> str:
        nv[0] += 1
        code = f"NV{nv[0]}"
        ref.providers.append(
            (
                code,
                INDEPENDENT_NAMES[(nv[0] - 1) % len(INDEPENDENT_NAMES)]
                + ("" if nv[0] <= len(INDEPENDENT_NAMES) else " North"),
                "independent",
                _cqc(rng),
            )
        )
        return code

    def add_unit(provider: str, town: str, collab: str, sl: str, specs) -> None:
        seq = unit_seq.get(provider, 20)
        unit_seq[provider] = seq + 1
        code = f"{provider}{seq}"
        lat, lon, outward = TOWNS[town]
        ref.units.append(
            (
                code,
                namer.unit(town),
                provider,
                _postcode(outward, _inward(rng)),
                round(lat + float(rng.normal(0, 0.01)), 4),
                round(lon + float(rng.normal(0, 0.01)), 4),
            )
        )
        for j, (level, gender, spec, beds) in enumerate(specs):
            opened = date(int(rng.integers(1975, 2009)), int(rng.integers(1, 13)), 1)
            ref.wards.append(
                (
                    f"{code}W{j + 1:02d}",
                    code,
                    _ward_name(counter[0]),
                    collab,
                    sl,
                    level,
                    gender,
                    spec,
                    beds,
                    opened,
                    None,
                )
            )
            counter[0] += 1

    def ward_specs(mix, total: int):
        weights = np.array([m[3] for m in mix])
        specs = []
        while sum(s[3] for s in specs) < total:
            k = int(rng.choice(len(mix), p=weights / weights.sum()))
            level, gender, spec, _ = mix[k]
            beds = int(rng.integers(10, 17)) if level not in ("picu",) else int(rng.integers(6, 11))
            specs.append((level, gender, spec, beds))
        return specs

    def spread(collab, sl, specs, providers, towns, per_unit=(2, 5)):
        i = 0
        k = 0
        while i < len(specs):
            n = int(rng.integers(per_unit[0], per_unit[1] + 1))
            add_unit(providers[k % len(providers)], towns[k % len(towns)], collab, sl, specs[i : i + n])
            i += n
            k += 1

    # Other service lines of the Midlands and North East and Yorkshire footprints already simulated.
    extra_camhs = {
        "WM": (
            "Y60",
            "West Midlands",
            WM_LOCALITIES,
            ["Birmingham", "Coventry", "Stafford"],
            ["RXT", "RYG", "RRE"],
            150,
        ),
        "SY": (
            "Y63",
            "South and West Yorkshire",
            SY_LOCALITIES,
            ["Sheffield", "Leeds", "Wakefield"],
            ["TAH", "RGD", "RXG"],
            140,
        ),
    }
    for key, (region, name, locs, towns, provs, beds) in extra_camhs.items():
        cid = f"{key}CAMHS"
        ref.collaboratives.append(
            (cid, f"{name} CAMHS Provider Collaborative", region, C, provs[0], date(2021, 4, 1))
        )
        inds = [new_independent()]
        spread(cid, C, ward_specs(CAMHS_MIX, beds), provs + inds, towns, (1, 3))
        for code, *_ in locs:
            ref.locality_collaborative.append((code, C, cid))
    aed_wm = (
        "WMAED",
        "West Midlands Adult Eating Disorders Provider Collaborative",
        "Y60",
        E,
        "RRE",
        date(2021, 4, 1),
    )
    ref.collaboratives.append(aed_wm)
    spread(
        "WMAED",
        E,
        [
            ("general", "mixed", "eating_disorder", 14),
            ("general", "mixed", "eating_disorder", 12),
            ("general", "female", "eating_disorder", 12),
        ],
        ["RRE", "RXT", "TAJ"],
        ["Stafford", "Birmingham", "Dudley"],
        (1, 1),
    )
    for code, *_ in WM_LOCALITIES:
        ref.locality_collaborative.append((code, E, "WMAED"))
    for code, *_ in SY_LOCALITIES:
        ref.locality_collaborative.append((code, E, "NENCAED"))

    for key, region, name, locs, towns, provs, secure_beds, camhs_beds in FOOTPRINTS:
        for p in provs:
            if p not in existing:
                ref.providers.append((p, NHS_PROVIDERS[p], "nhs", _cqc(rng)))
                existing.add(p)
        for code, lname, lat, lon, pop in locs:
            ref.localities.append((code, lname, region, lat, lon, pop))
        inds = [new_independent() for _ in range(2 if secure_beds > 450 else 1)]
        go_live = date(int(rng.choice([2017, 2018, 2020, 2020, 2021])), int(rng.choice([4, 10])), 1)
        cid = f"{key}AS"
        ref.collaboratives.append(
            (cid, f"{name} Adult Secure Provider Collaborative", region, A, provs[0], go_live)
        )
        spread(cid, A, ward_specs(SECURE_MIX, secure_beds), provs + inds, towns)
        host = SHARED_SERVICES.get(key, key)
        for code, *_ in locs:
            ref.locality_collaborative.append((code, A, cid))
            ref.locality_collaborative.append((code, C, f"{host}CAMHS"))
            if region in AED_HOSTS:
                ref.locality_collaborative.append((code, E, f"{AED_HOSTS[region]}AED"))
            if region in PERINATAL:
                ref.locality_collaborative.append((code, "perinatal", f"{PERINATAL[region]}PN"))
        if camhs_beds:
            ccid = f"{key}CAMHS"
            ref.collaboratives.append(
                (ccid, f"{name} CAMHS Provider Collaborative", region, C, provs[-1], go_live)
            )
            spread(ccid, C, ward_specs(CAMHS_MIX, camhs_beds), provs[::-1] + inds[:1], towns[::-1], (1, 3))
        if AED_HOSTS.get(region) == key:
            acid = f"{key}AED"
            ref.collaboratives.append(
                (acid, f"{name} Adult Eating Disorders Provider Collaborative", region, E, provs[0], go_live)
            )
            spread(
                acid,
                E,
                [("general", "mixed", "eating_disorder", int(rng.integers(12, 17))) for _ in range(4)],
                provs + inds[:1],
                towns,
                (1, 2),
            )
    # Perinatal (mother and baby units), one collaborative per listed region.
    for region, host in sorted(PERINATAL.items()):
        pcid = f"{host}PN"
        if host == "EM":
            provs, towns, name = ["RHA", "RT5"], ["Nottingham", "Leicester"], "Midlands"
            for code, *_ in EM_LOCALITIES + WM_LOCALITIES:
                ref.locality_collaborative.append((code, "perinatal", pcid))
        else:
            fp = next(f for f in FOOTPRINTS if f[0] == host)
            provs, towns, name = fp[5][:2], fp[4][:2], REGIONS[region]
            if host == "NENC":
                for code, *_ in SY_LOCALITIES:
                    ref.locality_collaborative.append((code, "perinatal", pcid))
        ref.collaboratives.append(
            (
                pcid,
                f"{name} Perinatal Provider Collaborative",
                region,
                "perinatal",
                provs[0],
                date(2022, 4, 1),
            )
        )
        spread(
            pcid,
            "perinatal",
            [("general", "female", "mbu", int(rng.integers(8, 13))) for _ in provs],
            provs,
            towns,
            (1, 1),
        )
    ref.wsbs_units = list(WSBS_UNITS)
    return ref


def reference(scale: str) -> Reference:
    if scale == "region":
        return region_reference()
    if scale == "national":
        return national_reference()
    raise ValueError(f"unknown scale {scale!r} (region or national)")
