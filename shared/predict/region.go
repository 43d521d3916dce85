package predict

import (
	"math"
	"strings"
)

// earthRadiusKm is the Earth's mean radius.
const earthRadiusKm = 6371.0

// RegionDistanceKm is the great-circle (haversine) distance between two
// cloud regions named as their providers name them: AWS (us-east-1,
// eu-west-1), Azure (eastus, westeurope) or Google Cloud (us-central1,
// europe-west1), mixed freely. Names are case-insensitive. ok is false when
// either region is not in the table.
func RegionDistanceKm(a, b string) (km float64, ok bool) {
	lat1, lon1, ok1 := regionCoords(a)
	lat2, lon2, ok2 := regionCoords(b)
	if !ok1 || !ok2 {
		return 0, false
	}
	return haversineKm(lat1, lon1, lat2, lon2), true
}

func haversineKm(lat1, lon1, lat2, lon2 float64) float64 {
	const rad = math.Pi / 180
	s1 := math.Sin((lat2 - lat1) * rad / 2)
	s2 := math.Sin((lon2 - lon1) * rad / 2)
	h := s1*s1 + math.Cos(lat1*rad)*math.Cos(lat2*rad)*s2*s2
	return 2 * earthRadiusKm * math.Asin(math.Sqrt(min(1, h)))
}

// regionCoords gives a region's latitude and longitude in degrees. The
// coordinates are approximate data-centre metro locations (the city or area
// each provider names for the region, rounded to about 0.01°), not the
// buildings': good to tens of kilometres, which is all a latency feature
// needs. A switch rather than a map keeps the table free of mutable package
// state.
func regionCoords(region string) (lat, lon float64, ok bool) {
	switch strings.ToLower(strings.TrimSpace(region)) {
	// North America
	case "us-east-1", "us-east4": // Northern Virginia (Ashburn)
		return 39.04, -77.49, true
	case "us-east-2", "us-east5": // Ohio (Columbus)
		return 39.96, -83.00, true
	case "us-west-1": // Northern California (San Jose)
		return 37.34, -121.89, true
	case "us-west-2": // Oregon (Boardman)
		return 45.84, -119.70, true
	case "ca-central-1", "northamerica-northeast1": // Montreal
		return 45.50, -73.57, true
	case "ca-west-1": // Calgary
		return 51.05, -114.07, true
	case "mx-central-1", "northamerica-south1", "mexicocentral": // Querétaro
		return 20.59, -100.39, true
	case "eastus": // Virginia (where Azure places it)
		return 37.37, -79.82, true
	case "eastus2": // Virginia (Boydton)
		return 36.67, -78.39, true
	case "westus": // San Francisco Bay Area
		return 37.78, -122.42, true
	case "westus2": // Washington (Quincy)
		return 47.23, -119.85, true
	case "westus3": // Arizona (Phoenix)
		return 33.45, -112.07, true
	case "centralus": // Iowa (Des Moines)
		return 41.59, -93.62, true
	case "northcentralus": // Illinois (Chicago)
		return 41.88, -87.63, true
	case "southcentralus": // Texas (San Antonio)
		return 29.42, -98.49, true
	case "westcentralus": // Wyoming (Cheyenne)
		return 41.14, -104.82, true
	case "canadacentral", "northamerica-northeast2": // Toronto
		return 43.65, -79.38, true
	case "canadaeast": // Quebec City
		return 46.82, -71.22, true
	case "us-central1": // Iowa (Council Bluffs)
		return 41.26, -95.86, true
	case "us-east1": // South Carolina (Moncks Corner)
		return 33.20, -80.01, true
	case "us-south1": // Dallas
		return 32.78, -96.80, true
	case "us-west1": // Oregon (The Dalles)
		return 45.60, -121.18, true
	case "us-west2": // Los Angeles
		return 34.05, -118.24, true
	case "us-west3": // Salt Lake City
		return 40.76, -111.89, true
	case "us-west4": // Las Vegas
		return 36.17, -115.14, true

	// South America
	case "sa-east-1", "brazilsouth", "southamerica-east1": // São Paulo
		return -23.55, -46.63, true
	case "southamerica-west1", "chilecentral": // Santiago
		return -33.45, -70.67, true

	// Europe
	case "eu-west-1", "northeurope": // Dublin
		return 53.35, -6.26, true
	case "eu-west-2", "uksouth", "europe-west2": // London
		return 51.51, -0.13, true
	case "ukwest": // Cardiff
		return 51.48, -3.18, true
	case "eu-west-3", "francecentral", "europe-west9": // Paris
		return 48.86, 2.35, true
	case "eu-central-1", "germanywestcentral", "europe-west3": // Frankfurt
		return 50.11, 8.68, true
	case "eu-central-2", "switzerlandnorth", "europe-west6": // Zurich
		return 47.37, 8.54, true
	case "eu-north-1", "europe-north2": // Stockholm
		return 59.33, 18.07, true
	case "swedencentral": // Gävle
		return 60.67, 17.14, true
	case "eu-south-1", "italynorth", "europe-west8": // Milan
		return 45.46, 9.19, true
	case "eu-south-2": // Spain (Aragón, Zaragoza)
		return 41.65, -0.89, true
	case "spaincentral", "europe-southwest1": // Madrid
		return 40.42, -3.70, true
	case "westeurope": // Netherlands (Amsterdam)
		return 52.37, 4.90, true
	case "norwayeast": // Oslo
		return 59.91, 10.75, true
	case "polandcentral", "europe-central2": // Warsaw
		return 52.23, 21.01, true
	case "europe-west1": // Belgium (St. Ghislain)
		return 50.45, 3.82, true
	case "europe-west4": // Netherlands (Eemshaven)
		return 53.44, 6.83, true
	case "europe-west10": // Berlin
		return 52.52, 13.40, true
	case "europe-west12": // Turin
		return 45.07, 7.69, true
	case "europe-north1": // Finland (Hamina)
		return 60.57, 27.20, true

	// Middle East and Africa
	case "il-central-1", "israelcentral", "me-west1": // Tel Aviv
		return 32.09, 34.78, true
	case "me-south-1": // Bahrain
		return 26.07, 50.56, true
	case "me-central-1", "uaenorth": // United Arab Emirates (Dubai)
		return 25.20, 55.27, true
	case "qatarcentral", "me-central1": // Doha
		return 25.29, 51.53, true
	case "me-central2": // Dammam
		return 26.43, 50.10, true
	case "af-south-1": // Cape Town
		return -33.92, 18.42, true
	case "southafricanorth", "africa-south1": // Johannesburg
		return -26.20, 28.05, true

	// Asia Pacific
	case "ap-east-1", "eastasia", "asia-east2": // Hong Kong
		return 22.32, 114.17, true
	case "ap-south-1", "westindia", "asia-south1": // Mumbai
		return 19.08, 72.88, true
	case "centralindia": // Pune
		return 18.52, 73.86, true
	case "southindia": // Chennai
		return 13.08, 80.27, true
	case "ap-south-2": // Hyderabad
		return 17.39, 78.49, true
	case "asia-south2": // Delhi
		return 28.61, 77.21, true
	case "ap-northeast-1", "japaneast", "asia-northeast1": // Tokyo
		return 35.68, 139.69, true
	case "ap-northeast-2", "koreacentral", "asia-northeast3": // Seoul
		return 37.57, 126.98, true
	case "koreasouth": // Busan
		return 35.18, 129.08, true
	case "ap-northeast-3", "japanwest", "asia-northeast2": // Osaka
		return 34.69, 135.50, true
	case "ap-southeast-1", "southeastasia", "asia-southeast1": // Singapore
		return 1.35, 103.82, true
	case "ap-southeast-2", "australiaeast", "australia-southeast1": // Sydney
		return -33.87, 151.21, true
	case "ap-southeast-3", "indonesiacentral", "asia-southeast2": // Jakarta
		return -6.21, 106.85, true
	case "ap-southeast-4", "australiasoutheast", "australia-southeast2": // Melbourne
		return -37.81, 144.96, true
	case "ap-southeast-5", "malaysiawest": // Kuala Lumpur
		return 3.14, 101.69, true
	case "ap-southeast-7": // Bangkok
		return 13.76, 100.50, true
	case "australiacentral": // Canberra
		return -35.28, 149.13, true
	case "asia-east1": // Taiwan (Changhua County)
		return 24.05, 120.52, true
	case "newzealandnorth", "ap-southeast-6": // Auckland
		return -36.85, 174.76, true
	}
	return 0, 0, false
}
