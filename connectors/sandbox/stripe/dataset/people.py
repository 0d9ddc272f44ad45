"""What customers are drawn from: names, companies, addresses and card brands."""

import itertools

FIRST_NAMES = (
    "Ava", "Liam", "Olivia", "Noah", "Emma", "Oliver", "Sophia", "Elijah", "Amelia", "James",
    "Isabella", "William", "Mia", "Benjamin", "Charlotte", "Lucas", "Harper", "Henry", "Evelyn",
    "Theodore", "Luna", "Jack", "Camila", "Levi", "Gianna", "Alexander", "Elizabeth", "Jackson",
    "Eleanor", "Mateo", "Ella", "Daniel", "Abigail", "Michael", "Sofia", "Mason", "Avery",
    "Sebastian", "Scarlett", "Ethan", "Emily", "Logan", "Aria", "Owen", "Penelope", "Samuel",
    "Chloe", "Jacob", "Layla", "Asher", "Mila", "Aiden", "Nora", "John", "Hazel", "Joseph",
    "Madison", "Wyatt", "Ellie", "David", "Lily", "Leo", "Nova", "Luke", "Isla", "Julian",
    "Grace", "Hudson", "Violet", "Grayson", "Aurora", "Matthew", "Riley", "Ezra", "Zoey",
    "Gabriel", "Willow", "Carter", "Emilia", "Isaac", "Stella", "Jayden", "Zoe", "Luca",
    "Victoria", "Anthony", "Hannah", "Dylan", "Addison", "Lincoln", "Leah", "Thomas", "Lucy",
    "Maverick", "Eliana", "Elias", "Ivy", "Josiah", "Everly", "Charles", "Lillian", "Caleb",
    "Paisley", "Christopher", "Elena", "Ezekiel", "Naomi", "Miles", "Maya", "Jaxon",
    "Natalie", "Isaiah", "Kinsley", "Andrew", "Delilah", "Joshua", "Claire", "Nathan",
    "Audrey", "Nolan", "Aaliyah", "Adrian", "Ruby", "Cameron", "Brooklyn", "Santiago",
    "Alice", "Eli", "Aubrey", "Aaron", "Autumn", "Ryan", "Leilani", "Angel", "Savannah",
    "Cooper", "Valentina", "Waylon", "Kennedy", "Easton", "Madelyn", "Kai", "Josephine",
    "Christian", "Bella", "Landon", "Skylar", "Colton", "Genesis", "Roman", "Sadie",
)  # fmt: skip
LAST_NAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor",
    "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez",
    "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright",
    "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker", "Hall",
    "Rivera", "Campbell", "Mitchell", "Carter", "Roberts", "Gomez", "Phillips", "Evans",
    "Turner", "Diaz", "Parker", "Cruz", "Edwards", "Collins", "Reyes", "Stewart", "Morris",
    "Morales", "Murphy", "Cook", "Rogers", "Gutierrez", "Ortiz", "Morgan", "Cooper", "Peterson",
    "Bailey", "Reed", "Kelly", "Howard", "Ramos", "Kim", "Cox", "Ward", "Richardson", "Watson",
    "Brooks", "Chavez", "Wood", "James", "Bennett", "Gray", "Mendoza", "Ruiz", "Hughes",
    "Price", "Alvarez", "Castillo", "Sanders", "Patel", "Myers", "Long", "Ross", "Foster",
    "Jimenez", "Powell", "Jenkins", "Perry", "Russell", "Sullivan", "Bell", "Coleman", "Butler",
    "Henderson", "Barnes", "Fisher", "Vasquez", "Simmons", "Romero", "Jordan", "Patterson",
    "Alexander", "Hamilton", "Graham", "Reynolds", "Griffin", "Wallace", "Moreno", "West",
    "Cole", "Hayes", "Bryant", "Herrera", "Gibson", "Ellis", "Tran", "Medina", "Aguilar",
    "Stevens", "Murray", "Ford", "Castro", "Marshall", "Owens", "Harrison", "Fernandez",
    "Mcdonald", "Woods", "Washington", "Kennedy", "Wells", "Vargas", "Henry", "Chen",
    "Freeman", "Webb", "Tucker", "Guzman", "Burns", "Crawford", "Olson", "Simpson", "Porter",
    "Hunter", "Gordon", "Mendez", "Silva", "Shaw", "Snyder", "Mason", "Dixon", "Munoz",
)  # fmt: skip
COMPANY_STEMS = (
    "acme", "globex", "initech", "umbrella", "hooli", "vandelay", "stark", "wayne", "wonka",
    "tyrell", "cyberdyne", "soylent", "aperture", "blackmesa", "oceanic", "pied", "dunder",
    "gringotts", "monarch", "nakatomi", "massive", "virtucon", "gekko", "sterling", "prestige",
    "northwind", "contoso", "fabrikam", "litware", "adatum", "tailspin", "wingtip", "proseware",
    "lucerne", "margie", "alpine", "bluesky", "redwood", "ironbark", "quantum", "nimbus",
    "orbital", "lumen", "cobalt", "vertex", "helix", "zenith", "summit", "harbor", "beacon",
)  # fmt: skip
COMPANY_SUFFIXES = (
    "labs", "systems", "analytics", "cloud", "data", "works", "digital", "software", "tech",
    "studio", "ventures", "group", "health", "logistics", "media", "retail", "finance", "io",
)  # fmt: skip
TLDS = ("com", "com", "com", "io", "co", "net", "dev", "ai")
STREETS = (
    "Main", "Oak", "Pine", "Maple", "Cedar", "Elm", "Washington", "Lake", "Hill", "Park",
    "Market", "Mission", "Valencia", "Broadway", "Church", "High", "King", "Queen", "Mill",
    "River", "Sunset", "Harbor", "Spring", "Willow", "Chestnut", "Walnut", "Franklin",
)  # fmt: skip
STREET_KINDS = ("St", "Ave", "Rd", "Blvd", "Ln", "Way", "Dr")
COUNTRIES = (
    # country, weight, cities as (city, state, postal code pattern)
    (
        "US",
        55,
        (
            ("San Francisco", "CA", "941##"),
            ("New York", "NY", "100##"),
            ("Austin", "TX", "787##"),
            ("Seattle", "WA", "981##"),
            ("Chicago", "IL", "606##"),
            ("Boston", "MA", "021##"),
            ("Denver", "CO", "802##"),
        ),
    ),
    ("GB", 10, (("London", None, "EC1A #AA"), ("Manchester", None, "M1 #AE"))),
    ("CA", 8, (("Toronto", "ON", "M5V #A#"), ("Vancouver", "BC", "V6B #A#"))),
    ("DE", 7, (("Berlin", None, "101##"), ("Munich", None, "803##"), ("Hamburg", None, "203##"))),
    ("FR", 5, (("Paris", None, "750##"), ("Lyon", None, "690##"))),
    ("AU", 5, (("Sydney", "NSW", "20##"), ("Melbourne", "VIC", "30##"))),
    ("NL", 4, (("Amsterdam", None, "10## AB"), ("Utrecht", None, "35## CD"))),
    ("IE", 3, (("Dublin", None, "D0# X###"),)),
    ("SG", 3, (("Singapore", None, "0####"),)),
)
COUNTRY_WEIGHTS = list(itertools.accumulate(c[1] for c in COUNTRIES))
BRANDS = (("visa", 60), ("mastercard", 25), ("amex", 10), ("discover", 5))
BRAND_WEIGHTS = list(itertools.accumulate(b[1] for b in BRANDS))
