// placeholder until the document schemas land
export const documentEvents = [] as const;
