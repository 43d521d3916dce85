package trace

// Attribution2019 credits the Azure Functions Trace 2019. The data's CC BY
// 4.0 licence asks for it wherever the trace or results from it are shown.
const Attribution2019 = `Azure Functions Trace 2019 (Microsoft, CC BY 4.0, Azure/AzurePublicDataset): ` +
	`M. Shahrad et al., "Serverless in the Wild: Characterizing and Optimizing the Serverless Workload ` +
	`at a Large Cloud Provider", USENIX ATC 2020.`

// Attribution2021 credits the Azure Functions Invocation Trace 2021.
const Attribution2021 = `Azure Functions Invocation Trace 2021 (Microsoft, CC BY 4.0, Azure/AzurePublicDataset): ` +
	`Y. Zhang et al., "Faster and Cheaper Serverless Computing on Harvested Resources", SOSP 2021.`

// Attribution returns the credit line for a trace format.
func Attribution(f Format) string {
	if f == Azure2021 {
		return Attribution2021
	}
	return Attribution2019
}
