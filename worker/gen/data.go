package gen

// Reference data for persons. Every string must be representable in
// Windows-1252.

var femaleNames = []string{
	"Anna", "Eva", "Maria", "Karin", "Kristina", "Lena", "Sara", "Kerstin", "Emma", "Ingrid",
	"Marie", "Malin", "Jenny", "Birgitta", "Hanna", "Inger", "Linda", "Annika", "Susanne", "Elin",
	"Monica", "Ulla", "Johanna", "Sofia", "Camilla", "Carina", "Elisabeth", "Åsa", "Margareta", "Helena",
	"Julia", "Ida", "Cecilia", "Ebba", "Linnéa", "Maja", "Alice", "Astrid", "Elsa", "Wilma",
	"Agnes", "Saga", "Frida", "Klara", "Moa", "Ella", "Stina", "Märta", "Signe", "Ingegerd",
	"Gunilla", "Gunnel", "Britt", "Solveig", "Ylva", "Therese", "Louise", "Matilda", "Emelie", "Josefin",
	"Caroline", "Jessica", "Sandra", "Amanda", "Felicia", "Nathalie", "Rebecka", "Tove", "Ulrika", "Viktoria",
	"Charlotte", "Pernilla", "Maud", "Siv", "Barbro", "Anneli", "Katarina", "Lisa", "Petra", "Mia",
	"Nora", "Greta", "Lovisa", "Tuva", "Selma", "Vera", "Ronja", "Thea", "Anna-Karin", "Eva-Lena",
	"Ann-Sofie", "Ann-Christin", "Lise-Lott", "Anne-Marie", "Märit", "Gun", "Rut", "Dagny", "Hjördis", "Görel",
	"Zeynep", "Fatima", "Amira", "Noor", "Leila",
}

var maleNames = []string{
	"Lars", "Anders", "Johan", "Karl", "Per", "Erik", "Mikael", "Peter", "Jan", "Hans",
	"Thomas", "Daniel", "Fredrik", "Bengt", "Mats", "Magnus", "Stefan", "Andreas", "Bo", "Nils",
	"Jonas", "Göran", "Leif", "Björn", "Martin", "Ulf", "Henrik", "Sven", "Alexander", "Marcus",
	"Mattias", "Gustav", "Oskar", "Viktor", "Olof", "Åke", "Sören", "Jörgen", "Göte", "Tore",
	"Rolf", "Kjell", "Roger", "Patrik", "Tobias", "Joakim", "Emil", "Axel", "Hugo", "Elias",
	"Liam", "William", "Lucas", "Oliver", "Ludvig", "Filip", "Isak", "Anton", "Albin", "Arvid",
	"Melvin", "Vilgot", "Sixten", "Love", "Linus", "Rasmus", "Sebastian", "Simon", "Jesper", "Niklas",
	"Robin", "Christoffer", "Kristoffer", "Håkan", "Lennart", "Gösta", "Ingvar", "Arne", "Gunnar", "Rune",
	"Torbjörn", "Örjan", "Östen", "Sture", "Ragnar", "Bertil", "Einar", "Helge", "Yngve", "Kent",
	"Conny", "Ove", "Karl-Johan", "Per-Olof", "Lars-Erik", "Jan-Erik", "Carl-Henrik", "Nils-Åke", "Mohammed", "Ahmad",
	"Ali", "Omar", "Mehmet", "José",
}

var lastNames = []string{
	"Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson", "Persson", "Svensson", "Gustafsson",
	"Pettersson", "Jonsson", "Jansson", "Hansson", "Bengtsson", "Jönsson", "Lindberg", "Jakobsson", "Magnusson", "Lindström",
	"Olofsson", "Lindqvist", "Lindgren", "Berg", "Axelsson", "Bergström", "Lundberg", "Lind", "Lundgren", "Lundqvist",
	"Mattsson", "Berglund", "Fredriksson", "Sandberg", "Henriksson", "Forsberg", "Sjöberg", "Wallin", "Engström", "Eklund",
	"Danielsson", "Lundin", "Håkansson", "Björk", "Bergman", "Gunnarsson", "Holm", "Wikström", "Samuelsson", "Isaksson",
	"Fransson", "Bergqvist", "Nyström", "Holmberg", "Arvidsson", "Löfgren", "Söderberg", "Nyberg", "Blomqvist", "Claesson",
	"Nordström", "Mårtensson", "Lundström", "Viklund", "Björklund", "Eliasson", "Pålsson", "Berggren", "Sandström", "Lund",
	"Nordin", "Ström", "Åberg", "Hermansson", "Ekström", "Holmgren", "Sundberg", "Hedlund", "Dahlberg", "Hellström",
	"Sjögren", "Abrahamsson", "Falk", "Martinsson", "Öberg", "Andreasson", "Strömberg", "Månsson", "Åkesson", "Hansen",
	"Norberg", "Lindholm", "Dahl", "Jonasson", "Åström", "Östlund", "Ek", "Hedberg", "Sundström", "Söderström",
	"Blom", "Ågren", "Nordqvist", "Lindahl", "Sjöström", "Lindblom", "Törnqvist", "Wennerström", "Grönlund", "Högberg",
	"Kjellberg", "Öhman", "Ljungberg", "Bäckström", "Westerberg", "Lönnqvist", "Hägg", "Rosén", "Forsell", "Wahlström",
	"Ekberg", "Nygren", "Sundqvist", "Åhlén", "Kvist", "Strand", "Lilja", "Björkman", "Ahmed", "Hassan",
	"Nguyen", "Yilmaz", "Korhonen", "Virtanen", "Müller", "Jovanovic", "Nowak", "Kowalski", "Ibrahim", "Mohamed",
}

// nobleNames are family names with a particle ("af", "von", "De").
var nobleNames = []string{
	"af Klint", "af Ugglas", "von Sydow", "von Essen", "af Trolle", "von Platen",
	"af Geijerstam", "von Otter", "De Geer", "af Wetterstedt", "von Schwerin", "af Petersens",
}

// Street names are a stem plus a suffix; "gatan" and "vägen" can be
// abbreviated ("Storg.", "Kungsv.").
var streetStems = []string{
	"Stor", "Kungs", "Drottning", "Skol", "Kyrko", "Järnvägs", "Ring", "Björk", "Tall", "Gran",
	"Ek", "Asp", "Lönn", "Al", "Rönn", "Hassel", "Linné", "Sjö", "Strand", "Hamn",
	"Park", "Ängs", "Åker", "Lärk", "Trast", "Fink", "Vipe", "Sol", "Blåbärs", "Lingon",
	"Hag", "Berg", "Dal", "Skogs", "Mölle", "Kvarn", "Torg", "Prästgårds", "Väster", "Öster",
	"Norr", "Söder", "Villa", "Idrotts", "Smeds", "Bruks", "Fabriks", "Tegel", "Slotts", "Möllevångs",
}

var streetSuffixes = []string{"gatan", "gatan", "gatan", "vägen", "vägen", "vägen", "stigen", "gränd", "backe", "allén"}

// fixedStreets are well-known street names used as they are.
var fixedStreets = []string{
	"Västra Långgatan", "Södra Vägen", "Östra Hamngatan", "Sveavägen", "Götgatan", "Hornsgatan",
	"Vasagatan", "Fleminggatan", "Sankt Eriksgatan", "Norra Strandgatan", "Lilla Torget", "Stora Nygatan",
}

var careOfNames = []string{"Berg", "Lindqvist", "Andersson", "Holm", "Ekström", "Nilsson", "Sjöberg"}

// emailDomains and the typos a hurried keyboard makes of some of them.
var emailDomains = []string{
	"gmail.com", "gmail.com", "gmail.com", "hotmail.com", "hotmail.com", "outlook.com", "yahoo.se",
	"telia.com", "live.se", "icloud.com", "bredband.net", "hotmail.se", "comhem.se", "spray.se",
}

var emailTypos = map[string][]string{
	"gmail.com":    {"gmial.com", "gmai.com", "gamil.com", "gmail.con", "gmail.co"},
	"hotmail.com":  {"hotmial.com", "hotmal.com", "hotmail.con", "hotmai.com"},
	"outlook.com":  {"outlok.com", "outlook.con", "outllook.com"},
	"yahoo.se":     {"yaho.se", "yahooo.se"},
	"telia.com":    {"telia.con", "tellia.com"},
	"live.se":      {"live.sw", "liv.se"},
	"icloud.com":   {"icloud.con", "iclod.com"},
	"hotmail.se":   {"hotmial.se", "hotmail.sr"},
	"bredband.net": {"bredband.nte", "bredbad.net"},
	"comhem.se":    {"comhem.sw", "comhme.se"},
	"spray.se":     {"spary.se", "spray.sw"},
}

// otherCompanies name consents given to somebody else than Config.Company.
var otherCompanies = []string{"Telefonförsäljning Syd AB", "Nordic Energy Sales AB", "Bredbandsbolaget Direkt AB", "Försäkringsringen AB"}

// phoneWords stand where a number should be.
var phoneWords = []string{"saknas", "hemligt", "ej angivet", "N/A", "okänt", "inget nummer", "se mejl", "ring ej"}

// town is a post town and the 3-digit postal code prefixes it owns.
type town struct {
	name     string
	prefixes []int
}

var towns = []town{
	{"Stockholm", []int{111, 112, 113, 114, 115, 116, 117, 118}},
	{"Johanneshov", []int{121}}, {"Enskede", []int{122}}, {"Farsta", []int{123}},
	{"Bandhagen", []int{124}}, {"Älvsjö", []int{125}}, {"Hägersten", []int{126, 129}},
	{"Skärholmen", []int{127}}, {"Bromma", []int{161, 167, 168}}, {"Spånga", []int{163}},
	{"Kista", []int{164}}, {"Hässelby", []int{165}}, {"Vällingby", []int{162}},
	{"Solna", []int{169, 170, 171}}, {"Sundbyberg", []int{172, 174}}, {"Nacka", []int{131}},
	{"Saltsjöbaden", []int{133}}, {"Huddinge", []int{141}}, {"Tumba", []int{147}},
	{"Södertälje", []int{151, 152}}, {"Täby", []int{183, 187}}, {"Lidingö", []int{181}},
	{"Danderyd", []int{182}}, {"Sollentuna", []int{191, 192}}, {"Upplands Väsby", []int{194}},
	{"Märsta", []int{195}}, {"Norrtälje", []int{761}}, {"Uppsala", []int{751, 752, 753, 754, 756}},
	{"Enköping", []int{745}}, {"Västerås", []int{721, 722, 723, 724, 725}}, {"Eskilstuna", []int{632, 633, 635}},
	{"Örebro", []int{702, 703}}, {"Linköping", []int{582, 583, 584, 585, 586}}, {"Norrköping", []int{602, 603}},
	{"Nyköping", []int{611}}, {"Visby", []int{621}}, {"Jönköping", []int{553, 554, 555, 556}},
	{"Växjö", []int{352, 355}}, {"Kalmar", []int{392, 393}}, {"Karlskrona", []int{371}},
	{"Kristianstad", []int{291}}, {"Malmö", []int{211, 212, 213, 214, 215, 216, 217, 218}},
	{"Lund", []int{222, 223, 224, 226, 227}}, {"Helsingborg", []int{252, 253, 254, 256}},
	{"Landskrona", []int{261}}, {"Trelleborg", []int{231}}, {"Ystad", []int{271}},
	{"Halmstad", []int{302, 303}}, {"Varberg", []int{432}},
	{"Göteborg", []int{411, 412, 413, 414, 415, 416, 417, 418, 421, 422, 424, 426}},
	{"Mölndal", []int{431}}, {"Kungsbacka", []int{434}}, {"Kungälv", []int{442}},
	{"Borås", []int{503, 504, 506}}, {"Trollhättan", []int{461}}, {"Uddevalla", []int{451}},
	{"Skövde", []int{541}}, {"Karlstad", []int{652, 653, 654, 656}}, {"Falun", []int{791}},
	{"Borlänge", []int{784}}, {"Gävle", []int{802, 803, 804, 806}}, {"Sandviken", []int{811}},
	{"Sundsvall", []int{852, 853, 854, 856}}, {"Härnösand", []int{871}}, {"Örnsköldsvik", []int{891}},
	{"Östersund", []int{831}}, {"Umeå", []int{903, 904, 906, 907}}, {"Skellefteå", []int{931}},
	{"Luleå", []int{972, 973, 974, 975}}, {"Piteå", []int{941}}, {"Kiruna", []int{981}},
	{"Gällivare", []int{982}}, {"Haparanda", []int{953}},
}
